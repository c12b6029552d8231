//! The playground's demo data: an order saga across `orders`, `payments` and `shipments`, and
//! price ticks on `trades`, with the faults evt exists to find. Pure: records come out of a
//! seeded generator, so the same seed always tells the same story.

use std::sync::Arc;

use crate::event::{Event, Header, TimestampType};

/// Topics and partition counts of the demo.
pub const TOPICS: [(&str, i32); 4] = [
    ("orders", 6),
    ("payments", 3),
    ("shipments", 3),
    ("trades", 3),
];

const SYMBOLS: [(&str, f64); 5] = [
    ("ACME", 182.40),
    ("GLOBX", 54.10),
    ("INITECH", 12.75),
    ("UMBRL", 301.00),
    ("WAYNE", 97.30),
];
const SKUS: [(&str, u32); 6] = [
    ("sku-kettle", 3499),
    ("sku-mug", 899),
    ("sku-teapot", 2450),
    ("sku-beans-1kg", 1899),
    ("sku-grinder", 8900),
    ("sku-filter", 499),
];
const CARRIERS: [&str; 3] = ["dhl", "ups", "postnl"];
const FAILURE_REASONS: [&str; 3] = ["card_declined", "insufficient_funds", "fraud_suspected"];

/// A small, fast, deterministic random source (xorshift64*); the demo needs no crypto.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).unwrap_or(0)]
    }
}

/// Which deliberate faults a saga carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// The OrderCreated event breaks the orders schema (total as a string, no customer).
    pub invalid_order: bool,
    /// How the saga ends, when the story needs a particular ending (`None`: by chance).
    pub ending: Option<Ending>,
}

/// How a saga ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Payment authorised, order confirmed, shipment started.
    Completed,
    /// Payment failed, order cancelled (the compensation).
    Compensated,
    /// Payment authorised, then nothing: the order is never confirmed nor shipped.
    Stopped,
    /// Payment failed and the order is never cancelled: the compensation is missing.
    Uncompensated,
}

/// The history's planted incidents, as times before the playground started. The README's
/// guided tour finds each one.
pub mod incidents {
    /// The payment service restarts and sends its last [`REDELIVERED`] payments again.
    pub const RESTART_AGO_MS: i64 = 6 * 3_600_000;
    pub const REDELIVERED: usize = 5;
    /// Checkout stops: no order is created for [`OUTAGE_MS`].
    pub const OUTAGE_AGO_MS: i64 = 4 * 3_600_000;
    pub const OUTAGE_MS: i64 = 12 * 60_000;
    /// A trades producer's clock runs five minutes behind for [`SKEWED`] ticks.
    pub const SKEW_AGO_MS: i64 = 3 * 3_600_000;
    pub const SKEW_MS: i64 = 5 * 60_000;
    pub const SKEWED: i64 = 20;
    /// The first sagas started after this end as [`super::TOUR`] says, in that order.
    pub const TOUR_AGO_MS: i64 = 2 * 3_600_000;
}

/// The endings of the tour's sagas, in order (consecutive order ids).
pub const TOUR: [Ending; 4] = [
    Ending::Completed,
    Ending::Compensated,
    Ending::Stopped,
    Ending::Uncompensated,
];

/// Generates the demo's records; partition -1 lets the producer's partitioner choose by key.
pub struct Demo {
    rng: Rng,
    next_order: u64,
    next_event: u64,
    prices: Vec<f64>,
    topics: [Arc<str>; 4],
}

impl Demo {
    pub fn new(seed: u64) -> Demo {
        Demo::numbered_from(seed, 1000)
    }

    /// The live generator: order ids from 1,000,000 and event ids from the upper half of the
    /// id space, so that no live event repeats a history event's id (history uses the lower
    /// half; ids are a bijection of a counter, so each is unique within its half).
    pub fn live(seed: u64) -> Demo {
        Demo {
            next_event: 1 << 31,
            ..Demo::numbered_from(seed, 1_000_000)
        }
    }

    /// A generator whose order ids continue after `last_order`.
    pub fn numbered_from(seed: u64, last_order: u64) -> Demo {
        Demo {
            rng: Rng::new(seed),
            next_order: last_order,
            next_event: 1,
            prices: SYMBOLS.iter().map(|(_, p)| *p).collect(),
            topics: TOPICS.map(|(t, _)| Arc::from(t)),
        }
    }

    fn event_id(&mut self) -> String {
        self.next_event += 1;
        format!(
            "evt-{:08x}",
            self.next_event.wrapping_mul(2_654_435_761) & 0xffff_ffff
        )
    }

    fn record(
        &self,
        topic: usize,
        key: &str,
        value: String,
        ts: i64,
        headers: Vec<Header>,
    ) -> Event {
        Event {
            timestamp: Some(ts),
            timestamp_type: TimestampType::Create,
            key: Some(key.as_bytes().to_vec()),
            value: Some(value.into_bytes()),
            headers,
            ..Event::made("playground", 0, self.topics[topic].clone())
        }
    }

    /// One order saga starting at `ts`: created, payment authorised or failed, then confirmed
    /// and shipped, or cancelled (the compensation). Returned in time order.
    pub fn saga(&mut self, ts: i64, faults: Faults) -> Vec<Event> {
        self.next_order += 1;
        let order_id = format!("order-{}", self.next_order);
        let trace = format!("{:016x}", self.rng.next_u64());
        let source = *self.rng.pick(&["web", "mobile", "partner-api"]);
        let headers = |kind: &str| {
            vec![
                Header {
                    name: "trace-id".into(),
                    value: Some(trace.clone().into_bytes()),
                },
                Header {
                    name: "source".into(),
                    value: Some(source.as_bytes().to_vec()),
                },
                Header {
                    name: "event-type".into(),
                    value: Some(kind.as_bytes().to_vec()),
                },
            ]
        };
        let customer = format!("cust-{}", 100 + self.rng.below(400));
        let mut items = Vec::new();
        let mut total_cents = 0u64;
        for _ in 0..=self.rng.below(3) {
            let (sku, cents) = *self.rng.pick(&SKUS);
            let qty = 1 + self.rng.below(3);
            total_cents += u64::from(cents) * qty;
            items.push(format!(
                r#"{{"sku":"{sku}","qty":{qty},"unit_price":{}.{:02}}}"#,
                cents / 100,
                cents % 100
            ));
        }
        let total = format!("{}.{:02}", total_cents / 100, total_cents % 100);
        let created_id = self.event_id();
        let created = if faults.invalid_order {
            format!(
                r#"{{"type":"OrderCreated","event_id":"{created_id}","order_id":"{order_id}","items":[{}],"total":"{total}","currency":"EUR"}}"#,
                items.join(",")
            )
        } else {
            format!(
                r#"{{"type":"OrderCreated","event_id":"{created_id}","order_id":"{order_id}","customer_id":"{customer}","items":[{}],"total":{total},"currency":"EUR"}}"#,
                items.join(",")
            )
        };
        let mut out = vec![self.record(0, &order_id, created, ts, headers("OrderCreated"))];

        let paid_at = ts + 150 + i64::try_from(self.rng.below(1800)).unwrap_or(0);
        let payment_id = format!("pay-{:06}", self.rng.below(1_000_000));
        let failed = match faults.ending {
            Some(Ending::Compensated | Ending::Uncompensated) => true,
            Some(Ending::Completed | Ending::Stopped) => false,
            None => self.rng.chance(120),
        };
        let pay_event = self.event_id();
        let payment = if failed {
            let reason = *self.rng.pick(&FAILURE_REASONS);
            format!(
                r#"{{"type":"PaymentFailed","event_id":"{pay_event}","order_id":"{order_id}","payment_id":"{payment_id}","amount":{total},"currency":"EUR","reason":"{reason}"}}"#
            )
        } else {
            format!(
                r#"{{"type":"PaymentAuthorized","event_id":"{pay_event}","order_id":"{order_id}","payment_id":"{payment_id}","amount":{total},"currency":"EUR"}}"#
            )
        };
        let kind = if failed {
            "PaymentFailed"
        } else {
            "PaymentAuthorized"
        };
        out.push(self.record(1, &order_id, payment, paid_at, headers(kind)));

        let next = paid_at + 300 + i64::try_from(self.rng.below(900)).unwrap_or(0);
        if matches!(faults.ending, Some(Ending::Stopped | Ending::Uncompensated)) {
            // The saga stops here: nothing confirms, ships or cancels the order.
        } else if failed {
            let id = self.event_id();
            let cancelled = format!(
                r#"{{"type":"OrderCancelled","event_id":"{id}","order_id":"{order_id}","reason":"payment_failed"}}"#
            );
            out.push(self.record(0, &order_id, cancelled, next, headers("OrderCancelled")));
        } else {
            let id = self.event_id();
            let confirmed =
                format!(r#"{{"type":"OrderConfirmed","event_id":"{id}","order_id":"{order_id}"}}"#);
            out.push(self.record(0, &order_id, confirmed, next, headers("OrderConfirmed")));
            let id = self.event_id();
            let carrier = *self.rng.pick(&CARRIERS);
            let shipment = format!(
                r#"{{"type":"ShipmentStarted","event_id":"{id}","order_id":"{order_id}","shipment_id":"shp-{:06}","carrier":"{carrier}"}}"#,
                self.rng.below(1_000_000)
            );
            let shipped_at = next + 60_000 + i64::try_from(self.rng.below(600_000)).unwrap_or(0);
            out.push(self.record(
                2,
                &order_id,
                shipment,
                shipped_at,
                headers("ShipmentStarted"),
            ));
        }
        out.sort_by_key(|e| e.timestamp);
        out
    }

    /// One price tick for a random symbol at `ts`; `invalid` makes a negative price.
    pub fn tick(&mut self, ts: i64, invalid: bool) -> Event {
        let i = usize::try_from(self.rng.below(SYMBOLS.len() as u64)).unwrap_or(0);
        let (symbol, _) = SYMBOLS[i];
        let step = (self.rng.below(201) as f64 - 100.0) / 10_000.0;
        self.prices[i] = (self.prices[i] * (1.0 + step)).max(0.01);
        let price = if invalid {
            -self.prices[i]
        } else {
            self.prices[i]
        };
        let spread = (self.prices[i] * 0.0005).max(0.01);
        let volume = 1 + self.rng.below(5_000);
        let id = self.event_id();
        let value = format!(
            r#"{{"type":"PriceTick","event_id":"{id}","symbol":"{symbol}","price":{price:.2},"bid":{:.2},"ask":{:.2},"volume":{volume}}}"#,
            self.prices[i] - spread,
            self.prices[i] + spread
        );
        let headers = vec![Header {
            name: "source".into(),
            value: Some(b"exchange-feed".to_vec()),
        }];
        self.record(3, symbol, value, ts, headers)
    }
}

/// The backdated history: `hours` of sagas and ticks up to `now`, with every planted
/// incident of [`incidents`] that falls in it, in the order a producer would have sent them
/// (which is not always timestamp order). Sagas started shortly before `now` unfold after it:
/// their later events carry timestamps after `now`, for the live generator to send when
/// their time comes.
pub fn history(seed: u64, now: i64, hours: i64) -> Vec<Event> {
    use incidents::*;
    let mut demo = Demo::new(seed);
    let start = now - hours * 3_600_000;
    // (sent at, event): sorted by the time the producer sent it.
    let mut events: Vec<(i64, Event)> = Vec::new();
    let saga_every = 30_000; // one saga every 30 s: about 2,900 sagas a day
    let restart = now - RESTART_AGO_MS;
    let outage = now - OUTAGE_AGO_MS..now - OUTAGE_AGO_MS + OUTAGE_MS;
    let tour_from = now - TOUR_AGO_MS;
    let mut restarted = restart < start;
    let mut tour = TOUR.iter();
    let mut n = 0u64;
    let mut ts = start;
    while ts < now {
        if !restarted && ts >= restart {
            restarted = true;
            // The restarted service processes its last payments again: same event ids.
            let mut again: Vec<Event> = events
                .iter()
                .rev()
                .map(|(_, e)| e)
                .filter(|e| e.topic.as_deref() == Some("payments"))
                .filter(|e| e.timestamp.unwrap_or(0) < restart)
                .take(REDELIVERED)
                .cloned()
                .collect();
            again.sort_by_key(|e| e.timestamp);
            for (i, mut e) in (0i64..).zip(again) {
                let at = restart + 20_000 + i * 150;
                e.timestamp = Some(at);
                events.push((at, e));
            }
        }
        if outage.contains(&ts) {
            ts = outage.end;
            continue;
        }
        n += 1;
        let faults = Faults {
            invalid_order: n % 733 == 0,
            ending: if ts >= tour_from {
                tour.next().copied()
            } else {
                None
            },
        };
        events.extend(
            demo.saga(ts, faults)
                .into_iter()
                .map(|e| (e.timestamp.unwrap_or(ts), e)),
        );
        ts += saga_every / 2 + i64::try_from(demo.rng.below(saga_every as u64)).unwrap_or(0);
    }
    let tick_every = 4_000;
    let skew_at = now - SKEW_AGO_MS;
    let mut ts = start;
    let mut k = 0u64;
    while ts < now {
        k += 1;
        let mut tick = demo.tick(ts, k % 9_001 == 0);
        if (skew_at..skew_at + SKEWED * tick_every).contains(&ts) {
            // A producer with a clock five minutes behind: timestamps jump back, then recover.
            tick.timestamp = Some(ts - SKEW_MS);
        }
        events.push((ts, tick));
        ts += tick_every;
    }
    events.sort_by_key(|(sent_at, _)| *sent_at);
    events.into_iter().map(|(_, e)| e).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(e: &Event) -> serde_json::Value {
        serde_json::from_slice(e.value.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn the_same_seed_tells_the_same_story() {
        assert_eq!(
            history(7, 1_800_000_000_000, 2),
            history(7, 1_800_000_000_000, 2)
        );
    }

    #[test]
    fn sagas_share_key_and_trace_and_compensate_failures() {
        let mut demo = Demo::new(42);
        for _ in 0..200 {
            let saga = demo.saga(1_000, Faults::default());
            let key = saga[0].key.clone();
            let trace = saga[0].headers[0].value.clone();
            assert!(saga
                .iter()
                .all(|e| e.key == key && e.headers[0].value == trace));
            let types: Vec<String> = saga
                .iter()
                .map(|e| value(e)["type"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(types[0], "OrderCreated");
            if types.contains(&"PaymentFailed".to_string()) {
                assert!(types.contains(&"OrderCancelled".to_string()), "{types:?}");
                assert!(!types.contains(&"ShipmentStarted".to_string()));
            } else {
                assert!(types.contains(&"ShipmentStarted".to_string()), "{types:?}");
            }
        }
    }

    /// The shipped schemas accept every demo event except the deliberately broken ones.
    #[test]
    fn shipped_schemas_catch_exactly_the_deliberate_violations() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/schemas");
        let validators: std::collections::HashMap<&str, jsonschema::Validator> = TOPICS
            .iter()
            .map(|(topic, _)| {
                let text = std::fs::read_to_string(dir.join(format!("{topic}.json"))).unwrap();
                let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
                (*topic, jsonschema::validator_for(&schema).unwrap())
            })
            .collect();
        let mut invalid = Vec::new();
        for e in history(3, 1_800_000_000_000, 24) {
            let v = value(&e);
            if !validators[e.topic.as_deref().unwrap_or_default()].is_valid(&v) {
                invalid.push(v);
            }
        }
        assert!(
            (3..=12).contains(&invalid.len()),
            "a handful: {}",
            invalid.len()
        );
        for v in invalid {
            let broken_order = v["type"] == "OrderCreated" && v["total"].is_string();
            let broken_tick =
                v["type"] == "PriceTick" && v["price"].as_f64().is_some_and(|p| p < 0.0);
            assert!(broken_order || broken_tick, "unexpected violation: {v}");
        }
    }

    /// Only the planted re-deliveries share an event id: never the live events with the
    /// history, nor two topics.
    #[test]
    fn event_ids_repeat_only_where_planted() {
        let now = 1_800_000_000_000;
        let mut seen: std::collections::HashMap<String, (String, String)> =
            std::collections::HashMap::new();
        let mut repeats = Vec::new();
        let mut live = Demo::live(1);
        let live_events: Vec<Event> = (0..2_000)
            .flat_map(|i| live.saga(now + i * 1000, Faults::default()))
            .collect();
        for e in history(1, now, 24).iter().chain(&live_events) {
            let v = value(e);
            let id = v["event_id"].as_str().unwrap().to_string();
            let what = (
                e.topic.as_deref().unwrap_or("").to_string(),
                v["type"].as_str().unwrap_or("").to_string(),
            );
            if let Some(first) = seen.insert(id.clone(), what.clone()) {
                repeats.push((id, first, what));
            }
        }
        assert_eq!(repeats.len(), incidents::REDELIVERED, "{repeats:?}");
        for (id, first, again) in &repeats {
            assert_eq!(first, again, "{id} repeats across topics or types");
            assert_eq!(first.0, "payments", "{id}: only payments are re-delivered");
        }
    }

    /// Each planted incident is in the history, where and as [`incidents`] says.
    #[test]
    fn history_holds_every_incident() {
        use incidents::*;
        let now = 1_800_000_000_000;
        let events = history(1, now, 24);
        assert!(events.len() > 10_000, "{}", events.len());
        let values: Vec<serde_json::Value> = events.iter().map(value).collect();
        assert!(
            values.iter().any(|v| v["total"].is_string()),
            "an invalid order"
        );
        assert!(
            values
                .iter()
                .any(|v| v["price"].as_f64().is_some_and(|p| p < 0.0)),
            "an invalid tick"
        );
        // The restart: the re-delivered copies are sent 20 s after it, the originals before.
        let mut first_seen: std::collections::HashMap<&str, i64> = Default::default();
        let mut copies = Vec::new();
        for (e, v) in events.iter().zip(&values) {
            let ts = e.timestamp.unwrap();
            if let Some(original) = first_seen.insert(v["event_id"].as_str().unwrap(), ts) {
                assert!(original < now - RESTART_AGO_MS, "{v}");
                copies.push(ts - (now - RESTART_AGO_MS));
            }
        }
        assert_eq!(copies, [20_000, 20_150, 20_300, 20_450, 20_600]);
        // The outage: no order is created in it.
        let created: Vec<i64> = events
            .iter()
            .zip(&values)
            .filter(|(_, v)| v["type"] == "OrderCreated")
            .map(|(e, _)| e.timestamp.unwrap())
            .collect();
        let outage = now - OUTAGE_AGO_MS..now - OUTAGE_AGO_MS + OUTAGE_MS;
        assert!(!created.iter().any(|t| outage.contains(t)));
        let longest = created.windows(2).map(|w| w[1] - w[0]).max().unwrap();
        assert!(longest >= OUTAGE_MS, "{longest}");
        assert!(
            created.windows(2).filter(|w| w[1] - w[0] > 60_000).count() == 1,
            "only the outage is longer than a minute"
        );
        // The skewed clock: ticks whose timestamps jump back by five minutes.
        let ticks: Vec<i64> = events
            .iter()
            .filter(|e| e.topic.as_deref() == Some("trades"))
            .map(|e| e.timestamp.unwrap())
            .collect();
        let jumps_back: Vec<i64> = ticks
            .windows(2)
            .filter(|w| w[1] < w[0])
            .map(|w| w[0] - w[1])
            .collect();
        assert_eq!(jumps_back.len(), 1, "one out-of-order burst");
        assert!(jumps_back[0] > SKEW_MS - 10_000 && jumps_back[0] <= SKEW_MS);
        assert!(events
            .iter()
            .all(|e| e.timestamp.unwrap() >= now - 24 * 3_600_000 - SKEW_MS));
        // The tour: four consecutive sagas after TOUR_AGO, ending as TOUR says.
        let first = events
            .iter()
            .zip(&values)
            .find(|(e, v)| v["type"] == "OrderCreated" && e.timestamp.unwrap() >= now - TOUR_AGO_MS)
            .map(|(_, v)| v["order_id"].as_str().unwrap().to_string())
            .unwrap();
        let number: u64 = first.trim_start_matches("order-").parse().unwrap();
        let endings = [
            vec![
                "OrderCreated",
                "PaymentAuthorized",
                "OrderConfirmed",
                "ShipmentStarted",
            ],
            vec!["OrderCreated", "PaymentFailed", "OrderCancelled"],
            vec!["OrderCreated", "PaymentAuthorized"],
            vec!["OrderCreated", "PaymentFailed"],
        ];
        for (i, expected) in (0u64..).zip(endings) {
            let order = format!("order-{}", number + i);
            let mut saga: Vec<(i64, &str)> = events
                .iter()
                .zip(&values)
                .filter(|(_, v)| v["order_id"] == order.as_str())
                .map(|(e, v)| (e.timestamp.unwrap(), v["type"].as_str().unwrap()))
                .collect();
            saga.sort();
            let types: Vec<&str> = saga.iter().map(|(_, t)| *t).collect();
            assert_eq!(types, expected, "{order}");
        }
    }
}
