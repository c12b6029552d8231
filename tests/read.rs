mod common;

use common::*;

#[test]
fn smoke_read_whole_topic() {
    let topic = unique_topic("smoke");
    create_topic(&topic, 2);
    let base = ms("2026-01-01T00:00:00Z");
    let records: Vec<Record> = (0..10)
        .map(|i| {
            Record::json(
                i % 2,
                &format!("k{i}"),
                &format!("{{\"n\":{i}}}"),
                base + i64::from(i) * 1000,
            )
        })
        .collect();
    produce(&topic, &records);
    let run = evt(&["read", &topic]);
    run.ok();
    println!("{}", run.stdout);
    assert_eq!(run.envelopes().len(), 10);
}
