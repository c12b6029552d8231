# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_evt_global_optspecs
    string join \n b/brokers= X= config= profile= timeout= playground v/verbose h/help V/version
end

function __fish_evt_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_evt_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_evt_using_subcommand
    set -l cmd (__fish_evt_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c evt -n "__fish_evt_needs_command" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_needs_command" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_needs_command" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_needs_command" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_needs_command" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_needs_command" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_needs_command" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evt -n "__fish_evt_needs_command" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_needs_command" -f -a "read" -d 'Read a bounded window of events (time travel) from topics or files, then exit'
complete -c evt -n "__fish_evt_needs_command" -f -a "tail" -d 'Follow new events live, like tail -f, until Ctrl-C'
complete -c evt -n "__fish_evt_needs_command" -f -a "replay" -d 'Copy a window of a topic (or an envelope file) into a sandbox topic, faithfully and safely'
complete -c evt -n "__fish_evt_needs_command" -f -a "produce" -d 'Write envelope lines (JSONL, as evt read prints them) into a topic, byte for byte'
complete -c evt -n "__fish_evt_needs_command" -f -a "validate" -d 'Check events against JSON Schemas: topic windows, or fixture files in CI'
complete -c evt -n "__fish_evt_needs_command" -f -a "diff" -d 'Compare two streams (topic windows or files), paired by key, a field or offset, as JSON'
complete -c evt -n "__fish_evt_needs_command" -f -a "stats" -d 'Diagnose a stream in one pass: counts, rate over time and gaps, keys, payload sizes, duplicates, timestamps out of order, per-key sequence faults'
complete -c evt -n "__fish_evt_needs_command" -f -a "trace" -d 'One business transaction across topics: every event whose key (or --field, or --header) is ID, as one timeline with what changed at each step'
complete -c evt -n "__fish_evt_needs_command" -f -a "topics" -d 'List topics: partitions, replication, events between watermarks, retention'
complete -c evt -n "__fish_evt_needs_command" -f -a "describe" -d 'Describe topics: per partition leader, replicas, watermarks, oldest and newest event (how far back you can travel), the configs that matter and when history expires'
complete -c evt -n "__fish_evt_needs_command" -f -a "offsets" -d 'The offset of every partition at a position of the grammar (time, offset, relative)'
complete -c evt -n "__fish_evt_needs_command" -f -a "groups" -d 'List consumer groups: state, members, protocol, topics with committed offsets'
complete -c evt -n "__fish_evt_needs_command" -f -a "lag" -d 'Consumer lag per partition, in events and in time (the age of the first unconsumed event), with each group\'s status'
complete -c evt -n "__fish_evt_needs_command" -f -a "playground" -d 'Run an embedded broker with demo data (order saga, trades, faults) until Ctrl-C'
complete -c evt -n "__fish_evt_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c evt -n "__fish_evt_needs_command" -f -a "man" -d 'Print the man page, or write one page per command into a directory'
complete -c evt -n "__fish_evt_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evt -n "__fish_evt_using_subcommand read" -l from -d 'Where to start, inclusive: beginning, end, 1234, -100, +100, 2h, 2026-11-24T10:00, @MS' -r
complete -c evt -n "__fish_evt_using_subcommand read" -l until -d 'Where to stop, exclusive (same grammar as --from). Default: the end when evt started' -r
complete -c evt -n "__fish_evt_using_subcommand read" -l order -d 'How events from several partitions and sources are ordered' -r -f -a "time\t'One timeline across partitions, merged by timestamp'
partition\t'Each partition in offset order, as it arrives (sources one after the other)'"
complete -c evt -n "__fish_evt_using_subcommand read" -l input -d 'How to read files: jsonl (one event per line), json (one document: an array of events or one event), values (each line\'s bytes are a value). Default: json for .json files, jsonl for the rest and stdin' -r -f -a "jsonl\t''
json\t''
values\t''"
complete -c evt -n "__fish_evt_using_subcommand read" -s p -l partition -d 'Only these partitions, comma separated (e.g. -p 0,2)' -r
complete -c evt -n "__fish_evt_using_subcommand read" -s c -l count -d 'Stop after N events in all' -r
complete -c evt -n "__fish_evt_using_subcommand read" -l key -d 'Only events with this key, exactly (repeat for any of several keys). Reads only the partition(s) the default partitioner maps the key(s) to, unless --no-prune' -r
complete -c evt -n "__fish_evt_using_subcommand read" -l key-regex -d 'Only events whose key matches this regular expression' -r
complete -c evt -n "__fish_evt_using_subcommand read" -l grep -d 'Only events whose key or raw value matches this regular expression' -r
complete -c evt -n "__fish_evt_using_subcommand read" -l header -d 'Only events with this header (NAME), or with a value matching REGEX (NAME=REGEX)' -r
complete -c evt -n "__fish_evt_using_subcommand read" -l where -d 'A jq expression over the value that must be truthy, e.g. \'.status == "FAILED"\'' -r
complete -c evt -n "__fish_evt_using_subcommand read" -l where-envelope -d 'A jq expression over the whole envelope (topic, partition, offset, timestamp, key, headers, value), e.g. \'.partition == 2 and .offset > 100\'' -r
complete -c evt -n "__fish_evt_using_subcommand read" -l jq -d 'Reshape what is printed with a jq expression over the value, e.g. \'{id: .order_id}\'' -r
complete -c evt -n "__fish_evt_using_subcommand read" -l validate -d 'Check each event against this schema file (or directory, by topic name) and mark the invalid ones inline' -r -F
complete -c evt -n "__fish_evt_using_subcommand read" -l schema-by -d 'With a schema directory, choose the schema by this field of the event, e.g. .type (the same option as `evt validate --schema-by`)' -r
complete -c evt -n "__fish_evt_using_subcommand read" -l format -d 'Output format: pretty, compact (one line per event), json (the envelope), value, table, or template=\'…\' (as -f). Default: pretty on a terminal, json when piped' -r
complete -c evt -n "__fish_evt_using_subcommand read" -s f -d 'A format string, as kcat\'s -f: %s value, %k key, %t topic, %p partition, %o offset, %T timestamp (ms), %h headers, %S/%K value/key length, %% and \\n \\t; evt\'s own: %{time} (as --time says), %{json} (the envelope), %{.path} (a path into the value)' -r
complete -c evt -n "__fish_evt_using_subcommand read" -l time -d 'How times are shown in pretty, compact, table and template output (the JSON envelope keeps its own form)' -r -f -a "utc\t'ISO 8601 in UTC, with milliseconds'
local\t'ISO 8601 in the local time zone, with its offset'
ms\t'Milliseconds since the epoch'
relative\t'How long ago: 3m12s ago'"
complete -c evt -n "__fish_evt_using_subcommand read" -l color -d 'When to use colour (NO_COLOR and TERM=dumb are honoured under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c evt -n "__fish_evt_using_subcommand read" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_using_subcommand read" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_using_subcommand read" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_using_subcommand read" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_using_subcommand read" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_using_subcommand read" -l explain -d 'Print the resolved plan (partition, start, end, count) and exit; a table, or JSON with --format json'
complete -c evt -n "__fish_evt_using_subcommand read" -l no-prune -d 'Read every partition even with --key (when the producer did not partition by key)'
complete -c evt -n "__fish_evt_using_subcommand read" -l only-invalid -d 'Print only the events that fail validation'
complete -c evt -n "__fish_evt_using_subcommand read" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_using_subcommand read" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_using_subcommand read" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evt -n "__fish_evt_using_subcommand read" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_using_subcommand tail" -s n -l lines -d 'First show the last N events of each partition' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -l until -d 'Stop at this position (an offset, or a time that is reached), exclusive' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -s p -l partition -d 'Only these partitions, comma separated (e.g. -p 0,2)' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -s c -l count -d 'Stop after N events in all' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -l key -d 'Only events with this key, exactly (repeat for any of several keys). Reads only the partition(s) the default partitioner maps the key(s) to, unless --no-prune' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -l key-regex -d 'Only events whose key matches this regular expression' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -l grep -d 'Only events whose key or raw value matches this regular expression' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -l header -d 'Only events with this header (NAME), or with a value matching REGEX (NAME=REGEX)' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -l where -d 'A jq expression over the value that must be truthy, e.g. \'.status == "FAILED"\'' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -l where-envelope -d 'A jq expression over the whole envelope (topic, partition, offset, timestamp, key, headers, value), e.g. \'.partition == 2 and .offset > 100\'' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -l jq -d 'Reshape what is printed with a jq expression over the value, e.g. \'{id: .order_id}\'' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -l validate -d 'Check each event against this schema file (or directory, by topic name) and mark the invalid ones inline' -r -F
complete -c evt -n "__fish_evt_using_subcommand tail" -l schema-by -d 'With a schema directory, choose the schema by this field of the event, e.g. .type (the same option as `evt validate --schema-by`)' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -l format -d 'Output format: pretty, compact (one line per event), json (the envelope), value, table, or template=\'…\' (as -f). Default: pretty on a terminal, json when piped' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -s f -d 'A format string, as kcat\'s -f: %s value, %k key, %t topic, %p partition, %o offset, %T timestamp (ms), %h headers, %S/%K value/key length, %% and \\n \\t; evt\'s own: %{time} (as --time says), %{json} (the envelope), %{.path} (a path into the value)' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -l time -d 'How times are shown in pretty, compact, table and template output (the JSON envelope keeps its own form)' -r -f -a "utc\t'ISO 8601 in UTC, with milliseconds'
local\t'ISO 8601 in the local time zone, with its offset'
ms\t'Milliseconds since the epoch'
relative\t'How long ago: 3m12s ago'"
complete -c evt -n "__fish_evt_using_subcommand tail" -l color -d 'When to use colour (NO_COLOR and TERM=dumb are honoured under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c evt -n "__fish_evt_using_subcommand tail" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_using_subcommand tail" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_using_subcommand tail" -l explain -d 'Print the resolved plan (partition, start, end, count) and exit; a table, or JSON with --format json'
complete -c evt -n "__fish_evt_using_subcommand tail" -l no-prune -d 'Read every partition even with --key (when the producer did not partition by key)'
complete -c evt -n "__fish_evt_using_subcommand tail" -l only-invalid -d 'Print only the events that fail validation'
complete -c evt -n "__fish_evt_using_subcommand tail" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_using_subcommand tail" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_using_subcommand tail" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evt -n "__fish_evt_using_subcommand tail" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_using_subcommand replay" -l to -d 'The target topic (created with the source\'s partition count when missing)' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l from -d 'Where to start, inclusive: beginning, end, 1234, -100, +100, 2h, 2026-11-24T10:00, @MS' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l until -d 'Where to stop, exclusive (same grammar as --from). Default: the end when evt started' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -s p -l partition -d 'Only these source partitions, comma separated' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l to-brokers -d 'Write into another cluster (bootstrap brokers)' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l to-profile -d 'Write into the cluster of this profile' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l partitioner -d 'How target partitions are chosen: the source partition, or the key\'s hash' -r -f -a "same\t'The source partition (the target needs at least as many partitions)'
key\t'murmur2 of the key, as the Java client does'"
complete -c evt -n "__fish_evt_using_subcommand replay" -l format -d 'How --dry-run prints its plan: a table, or JSON' -r -f -a "table\t''
json\t''"
complete -c evt -n "__fish_evt_using_subcommand replay" -l rate -d 'At most N events per second (e.g. 100/s, 600/m)' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l pace -d 'Keep the original gaps between events, scaled: 1x, 10x (ten times faster), 0.5x' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l max-gap -d 'With --pace, the longest wait between two events (idle gaps are cut to this)' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l resume -d 'Continue an interrupted replay from its checkpoint file (no duplicates, no gaps)' -r -F
complete -c evt -n "__fish_evt_using_subcommand replay" -l checkpoint -d 'Where to keep the checkpoint. Default: .evt-replay-SOURCE-TARGET.json here' -r -F
complete -c evt -n "__fish_evt_using_subcommand replay" -l key -d 'Only events with this key, exactly (repeat for any of several keys). Reads only the partition(s) the default partitioner maps the key(s) to, unless --no-prune' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l key-regex -d 'Only events whose key matches this regular expression' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l grep -d 'Only events whose key or raw value matches this regular expression' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l header -d 'Only events with this header (NAME), or with a value matching REGEX (NAME=REGEX)' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l where -d 'A jq expression over the value that must be truthy, e.g. \'.status == "FAILED"\'' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l where-envelope -d 'A jq expression over the whole envelope (topic, partition, offset, timestamp, key, headers, value), e.g. \'.partition == 2 and .offset > 100\'' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l jq -d 'Reshape what is printed with a jq expression over the value, e.g. \'{id: .order_id}\'' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_using_subcommand replay" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_using_subcommand replay" -l no-provenance -d 'Do not add the evt-source header (topic/partition/offset of the original)'
complete -c evt -n "__fish_evt_using_subcommand replay" -l append -d 'Allow writing into a target that already holds events'
complete -c evt -n "__fish_evt_using_subcommand replay" -l dry-run -d 'Print the plan (per partition: offsets, count, first/last time, target) and write nothing'
complete -c evt -n "__fish_evt_using_subcommand replay" -l skip-bad -d 'Report records the target will never accept (too large, or malformed lines in a file) and go on, instead of stopping at the first one'
complete -c evt -n "__fish_evt_using_subcommand replay" -l no-prune -d 'Read every partition even with --key (when the producer did not partition by key)'
complete -c evt -n "__fish_evt_using_subcommand replay" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_using_subcommand replay" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_using_subcommand replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evt -n "__fish_evt_using_subcommand replay" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_using_subcommand produce" -l input -d 'How to read files: jsonl (one event per line), json (one document: an array of events or one event), values (each line\'s bytes are a value). Default: json for .json files, jsonl for the rest and stdin' -r -f -a "jsonl\t''
json\t''
values\t''"
complete -c evt -n "__fish_evt_using_subcommand produce" -l key -d 'One event typed by hand: its key. Its value is --value, --value-file, or all of stdin' -r
complete -c evt -n "__fish_evt_using_subcommand produce" -l header -d 'One event typed by hand: a header NAME=VALUE (repeatable)' -r
complete -c evt -n "__fish_evt_using_subcommand produce" -l value -d 'One event typed by hand: its value, as text' -r
complete -c evt -n "__fish_evt_using_subcommand produce" -l value-file -d 'One event typed by hand: its value, the bytes of this file (`-`: stdin)' -r -F
complete -c evt -n "__fish_evt_using_subcommand produce" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_using_subcommand produce" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_using_subcommand produce" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_using_subcommand produce" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_using_subcommand produce" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_using_subcommand produce" -l values -d 'Lines are plain values (each line\'s bytes as the value, no key): --input values'
complete -c evt -n "__fish_evt_using_subcommand produce" -l skip-bad -d 'Report bad lines and records too large to write, and go on, instead of stopping at the first one'
complete -c evt -n "__fish_evt_using_subcommand produce" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_using_subcommand produce" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_using_subcommand produce" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evt -n "__fish_evt_using_subcommand produce" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_using_subcommand validate" -l schema -d 'A schema file, or a directory of schemas named <topic>.json (or <FIELD value>.json)' -r -F
complete -c evt -n "__fish_evt_using_subcommand validate" -l schema-by -d 'In a schema directory, choose the schema by this field of the event, e.g. .type' -r
complete -c evt -n "__fish_evt_using_subcommand validate" -l missing-schema -d 'What an event without a schema is' -r -f -a "error\t'Report it as invalid'
warn\t'Warn on stderr and count it as unchecked'
ignore\t'Count it as unchecked, silently'"
complete -c evt -n "__fish_evt_using_subcommand validate" -l format -d 'Report format' -r -f -a "text\t'One block per invalid event, then a summary table'
json\t'One JSON object per invalid event'
github\t'GitHub Actions workflow annotations (::error file=…,line=…::…)'
junit\t'A JUnit XML report (CI dashboards)'"
complete -c evt -n "__fish_evt_using_subcommand validate" -l max-errors -d 'Stop after N invalid events' -r
complete -c evt -n "__fish_evt_using_subcommand validate" -l from -d 'Where to start, inclusive: beginning, end, 1234, -100, +100, 2h, 2026-11-24T10:00, @MS' -r
complete -c evt -n "__fish_evt_using_subcommand validate" -l until -d 'Where to stop, exclusive (same grammar as --from). Default: the end when evt started' -r
complete -c evt -n "__fish_evt_using_subcommand validate" -s p -l partition -d 'For topics: only these partitions' -r
complete -c evt -n "__fish_evt_using_subcommand validate" -l input -d 'How to read files: jsonl (one event per line), json (one document: an array of events or one event), values (each line\'s bytes are a value). Default: json for .json files, jsonl for the rest and stdin' -r -f -a "jsonl\t''
json\t''
values\t''"
complete -c evt -n "__fish_evt_using_subcommand validate" -l key -d 'Only events with this key, exactly (repeat for any of several keys). Reads only the partition(s) the default partitioner maps the key(s) to, unless --no-prune' -r
complete -c evt -n "__fish_evt_using_subcommand validate" -l key-regex -d 'Only events whose key matches this regular expression' -r
complete -c evt -n "__fish_evt_using_subcommand validate" -l grep -d 'Only events whose key or raw value matches this regular expression' -r
complete -c evt -n "__fish_evt_using_subcommand validate" -l header -d 'Only events with this header (NAME), or with a value matching REGEX (NAME=REGEX)' -r
complete -c evt -n "__fish_evt_using_subcommand validate" -l where -d 'A jq expression over the value that must be truthy, e.g. \'.status == "FAILED"\'' -r
complete -c evt -n "__fish_evt_using_subcommand validate" -l where-envelope -d 'A jq expression over the whole envelope (topic, partition, offset, timestamp, key, headers, value), e.g. \'.partition == 2 and .offset > 100\'' -r
complete -c evt -n "__fish_evt_using_subcommand validate" -l jq -d 'Reshape what is printed with a jq expression over the value, e.g. \'{id: .order_id}\'' -r
complete -c evt -n "__fish_evt_using_subcommand validate" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_using_subcommand validate" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_using_subcommand validate" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_using_subcommand validate" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_using_subcommand validate" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_using_subcommand validate" -l no-prune -d 'Read every partition even with --key (when the producer did not partition by key)'
complete -c evt -n "__fish_evt_using_subcommand validate" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_using_subcommand validate" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evt -n "__fish_evt_using_subcommand validate" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_using_subcommand diff" -l from -d 'Where to start, inclusive: beginning, end, 1234, -100, +100, 2h, 2026-11-24T10:00, @MS' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l until -d 'Where to stop, exclusive (same grammar as --from). Default: the end when evt started' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -s p -l partition -d 'For topics: only these partitions, comma separated' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l left-from -d 'Where the left side starts (overrides --from)' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l left-until -d 'Where the left side stops (overrides --until)' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l right-from -d 'Where the right side starts (overrides --from)' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l right-until -d 'Where the right side stops (overrides --until)' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l left-brokers -d 'Read the left side from this cluster (bootstrap brokers)' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l left-profile -d 'Read the left side from the cluster of this profile' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l right-brokers -d 'Read the right side from this cluster (bootstrap brokers)' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l right-profile -d 'Read the right side from the cluster of this profile' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l by -d 'How events are paired: key, offset (partition and offset), or a path into the value such as .order_id. Several events under one id pair in order' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l compare -d 'What is compared: the value, or the envelope (value, key, headers and timestamp)' -r -f -a "value\t'The value only'
envelope\t'Value, key, headers and timestamp'"
complete -c evt -n "__fish_evt_using_subcommand diff" -l ignore -d 'A path into the value left out of the comparison (repeatable), e.g. .updated_at or .items[].updated_at ([] is every element)' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l max-memory -d 'The most memory spent holding events while pairing (e.g. 512M, 4G). Sides in the same order need little; past it, evt stops and says so. Default: 1G, or half the memory available when that is less' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l format -d 'Output: text (a summary, then each difference), json (one object per difference, then the summary), patch (an RFC 6902 JSON Patch per changed event)' -r -f -a "text\t''
json\t''
patch\t''"
complete -c evt -n "__fish_evt_using_subcommand diff" -l max-diffs -d 'Show at most N differences (the counts stay complete)' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l color -d 'When to use colour (NO_COLOR and TERM=dumb are honoured under auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c evt -n "__fish_evt_using_subcommand diff" -l input -d 'How to read files: jsonl (one event per line), json (one document: an array of events or one event), values (each line\'s bytes are a value). Default: json for .json files, jsonl for the rest and stdin' -r -f -a "jsonl\t''
json\t''
values\t''"
complete -c evt -n "__fish_evt_using_subcommand diff" -l key -d 'Only events with this key, exactly (repeat for any of several keys). Reads only the partition(s) the default partitioner maps the key(s) to, unless --no-prune' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l key-regex -d 'Only events whose key matches this regular expression' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l grep -d 'Only events whose key or raw value matches this regular expression' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l header -d 'Only events with this header (NAME), or with a value matching REGEX (NAME=REGEX)' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l where -d 'A jq expression over the value that must be truthy, e.g. \'.status == "FAILED"\'' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l where-envelope -d 'A jq expression over the whole envelope (topic, partition, offset, timestamp, key, headers, value), e.g. \'.partition == 2 and .offset > 100\'' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l jq -d 'Reshape what is printed with a jq expression over the value, e.g. \'{id: .order_id}\'' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_using_subcommand diff" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_using_subcommand diff" -l ignore-headers -d 'With --compare envelope: headers do not count'
complete -c evt -n "__fish_evt_using_subcommand diff" -l ignore-timestamps -d 'With --compare envelope: timestamps do not count'
complete -c evt -n "__fish_evt_using_subcommand diff" -s q -l quiet -d 'Print nothing: the exit code says it (0 identical, 1 different)'
complete -c evt -n "__fish_evt_using_subcommand diff" -l no-prune -d 'Read every partition even with --key (when the producer did not partition by key)'
complete -c evt -n "__fish_evt_using_subcommand diff" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_using_subcommand diff" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evt -n "__fish_evt_using_subcommand diff" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_using_subcommand stats" -l id -d 'Duplicates are events with the same value at this path (e.g. .event_id); without it, events whose key and value are both identical' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -l seq -d 'A per-key sequence number at this path (e.g. .version): gaps and regressions are counted per key' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -l gap -d 'List quiet stretches longer than this (e.g. 30s, 5m)' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -l top -d 'How many of the most frequent keys to show' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -l schema -d 'Count valid and invalid events per schema: a schema file, or a directory of schemas named <topic>.json (or <FIELD value>.json with --schema-by)' -r -F
complete -c evt -n "__fish_evt_using_subcommand stats" -l schema-by -d 'In a schema directory, choose the schema by this field of the event, e.g. .type' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -l fail-on -d 'Exit 1 when any of these is found: duplicates, out-of-order, sequence, invalid' -r -f -a "duplicates\t''
out-of-order\t''
sequence\t''
invalid\t'Events that fail their schema (with --schema)'"
complete -c evt -n "__fish_evt_using_subcommand stats" -l format -r -f -a "table\t'A table for people'
json\t'JSON for machines (field names are stable and documented in the README)'"
complete -c evt -n "__fish_evt_using_subcommand stats" -l from -d 'Where to start, inclusive: beginning, end, 1234, -100, +100, 2h, 2026-11-24T10:00, @MS' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -l until -d 'Where to stop, exclusive (same grammar as --from). Default: the end when evt started' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -s p -l partition -d 'For topics: only these partitions' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -l input -d 'How to read files: jsonl (one event per line), json (one document: an array of events or one event), values (each line\'s bytes are a value). Default: json for .json files, jsonl for the rest and stdin' -r -f -a "jsonl\t''
json\t''
values\t''"
complete -c evt -n "__fish_evt_using_subcommand stats" -l key -d 'Only events with this key, exactly (repeat for any of several keys). Reads only the partition(s) the default partitioner maps the key(s) to, unless --no-prune' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -l key-regex -d 'Only events whose key matches this regular expression' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -l grep -d 'Only events whose key or raw value matches this regular expression' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -l header -d 'Only events with this header (NAME), or with a value matching REGEX (NAME=REGEX)' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -l where -d 'A jq expression over the value that must be truthy, e.g. \'.status == "FAILED"\'' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -l where-envelope -d 'A jq expression over the whole envelope (topic, partition, offset, timestamp, key, headers, value), e.g. \'.partition == 2 and .offset > 100\'' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -l jq -d 'Reshape what is printed with a jq expression over the value, e.g. \'{id: .order_id}\'' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_using_subcommand stats" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_using_subcommand stats" -l no-prune -d 'Read every partition even with --key (when the producer did not partition by key)'
complete -c evt -n "__fish_evt_using_subcommand stats" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_using_subcommand stats" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_using_subcommand stats" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evt -n "__fish_evt_using_subcommand stats" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_using_subcommand trace" -l field -d 'Match this field of the value too (repeatable, e.g. one per topic: .order_id, .id)' -r
complete -c evt -n "__fish_evt_using_subcommand trace" -l header -d 'Match this header too (e.g. trace-id)' -r
complete -c evt -n "__fish_evt_using_subcommand trace" -l type -d 'The event type: this field of the value (e.g. .type)' -r
complete -c evt -n "__fish_evt_using_subcommand trace" -l expect -d 'The expected flow: the happy path in order and failure->compensation pairs, e.g. \'OrderCreated,PaymentAuthorized,OrderShipped,PaymentFailed->OrderCancelled\'' -r
complete -c evt -n "__fish_evt_using_subcommand trace" -l format -r -f -a "table\t'A table for people'
json\t'JSON for machines (field names are stable and documented in the README)'"
complete -c evt -n "__fish_evt_using_subcommand trace" -l from -d 'Where to start, inclusive: beginning, end, 1234, -100, +100, 2h, 2026-11-24T10:00, @MS' -r
complete -c evt -n "__fish_evt_using_subcommand trace" -l until -d 'Where to stop, exclusive (same grammar as --from). Default: the end when evt started' -r
complete -c evt -n "__fish_evt_using_subcommand trace" -l input -d 'How to read files: jsonl (one event per line), json (one document: an array of events or one event), values (each line\'s bytes are a value). Default: json for .json files, jsonl for the rest and stdin' -r -f -a "jsonl\t''
json\t''
values\t''"
complete -c evt -n "__fish_evt_using_subcommand trace" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_using_subcommand trace" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_using_subcommand trace" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_using_subcommand trace" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_using_subcommand trace" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_using_subcommand trace" -l follow -d 'After the window, keep watching live: each new event of the id as it comes, until Ctrl-C, --until (a later time) or, with --expect, the flow completes or is compensated'
complete -c evt -n "__fish_evt_using_subcommand trace" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_using_subcommand trace" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_using_subcommand trace" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evt -n "__fish_evt_using_subcommand trace" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_using_subcommand topics" -l format -r -f -a "table\t'A table for people'
json\t'JSON for machines (field names are stable and documented in the README)'"
complete -c evt -n "__fish_evt_using_subcommand topics" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_using_subcommand topics" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_using_subcommand topics" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_using_subcommand topics" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_using_subcommand topics" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_using_subcommand topics" -l all -d 'Also internal topics (__consumer_offsets, _schemas, …)'
complete -c evt -n "__fish_evt_using_subcommand topics" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_using_subcommand topics" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_using_subcommand topics" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evt -n "__fish_evt_using_subcommand topics" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_using_subcommand describe" -l format -r -f -a "table\t'A table for people'
json\t'JSON for machines (field names are stable and documented in the README)'"
complete -c evt -n "__fish_evt_using_subcommand describe" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_using_subcommand describe" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_using_subcommand describe" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_using_subcommand describe" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_using_subcommand describe" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_using_subcommand describe" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_using_subcommand describe" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_using_subcommand describe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evt -n "__fish_evt_using_subcommand describe" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_using_subcommand offsets" -l at -d 'The position (the --from grammar: 2h, 2026-11-24T14:05, @EPOCH_MS, -100, 1234, end)' -r
complete -c evt -n "__fish_evt_using_subcommand offsets" -s p -l partition -d 'Only these partitions, comma separated' -r
complete -c evt -n "__fish_evt_using_subcommand offsets" -l format -r -f -a "table\t'A table for people'
json\t'JSON for machines (field names are stable and documented in the README)'"
complete -c evt -n "__fish_evt_using_subcommand offsets" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_using_subcommand offsets" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_using_subcommand offsets" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_using_subcommand offsets" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_using_subcommand offsets" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_using_subcommand offsets" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_using_subcommand offsets" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_using_subcommand offsets" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evt -n "__fish_evt_using_subcommand offsets" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_using_subcommand groups" -l format -r -f -a "table\t'A table for people'
json\t'JSON for machines (field names are stable and documented in the README)'"
complete -c evt -n "__fish_evt_using_subcommand groups" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_using_subcommand groups" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_using_subcommand groups" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_using_subcommand groups" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_using_subcommand groups" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_using_subcommand groups" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_using_subcommand groups" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_using_subcommand groups" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evt -n "__fish_evt_using_subcommand groups" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_using_subcommand lag" -s t -l topic -d 'Only these topics (repeatable). Needed on RabbitMQ Streams, where GROUP is a consumer\'s reference name and the broker cannot list streams' -r
complete -c evt -n "__fish_evt_using_subcommand lag" -l max-lag -d 'Exit 1 when a group is more than N events behind (its total over partitions)' -r
complete -c evt -n "__fish_evt_using_subcommand lag" -l max-lag-time -d 'Exit 1 when a group\'s oldest unconsumed event is older than this (e.g. 5m, 30s)' -r
complete -c evt -n "__fish_evt_using_subcommand lag" -l watch -d 'Sample again every INTERVAL (default 5s) until Ctrl-C, refreshing in place on a terminal; the status then follows the samples (stalled, stopped, rewind, …)' -r
complete -c evt -n "__fish_evt_using_subcommand lag" -l samples -d 'With --watch: stop after N samples (exit as without --watch)' -r
complete -c evt -n "__fish_evt_using_subcommand lag" -l format -r -f -a "table\t'A table for people'
json\t'JSON for machines (field names are stable and documented in the README)'"
complete -c evt -n "__fish_evt_using_subcommand lag" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_using_subcommand lag" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_using_subcommand lag" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_using_subcommand lag" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_using_subcommand lag" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_using_subcommand lag" -l all-partitions -d 'Show every partition, also those caught up'
complete -c evt -n "__fish_evt_using_subcommand lag" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_using_subcommand lag" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_using_subcommand lag" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evt -n "__fish_evt_using_subcommand lag" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_using_subcommand playground" -l rate -d 'Live events per second after the history (0 for none)' -r
complete -c evt -n "__fish_evt_using_subcommand playground" -l history -d 'How much backdated history to write first (e.g. 24h, 2h, 0s)' -r
complete -c evt -n "__fish_evt_using_subcommand playground" -l seed -d 'Seed of the demo generator: the same seed tells the same story' -r
complete -c evt -n "__fish_evt_using_subcommand playground" -l bench-events -d 'Also create topic `bench` with N small JSON events (for bench/run)' -r
complete -c evt -n "__fish_evt_using_subcommand playground" -l bench-partitions -d 'Partitions of the `bench` topic' -r
complete -c evt -n "__fish_evt_using_subcommand playground" -l topic -d 'Also create this empty topic (repeatable), e.g. --topic sandbox-orders:6. The embedded broker cannot create topics on request, so replay targets are made here' -r
complete -c evt -n "__fish_evt_using_subcommand playground" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_using_subcommand playground" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_using_subcommand playground" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_using_subcommand playground" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_using_subcommand playground" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_using_subcommand playground" -l with-rabbitmq -d 'Also run a private RabbitMQ node (RabbitMQ must be installed) with the demo topics copied into streams of the same names, history and live events; reach it with --profile playground-rabbitmq'
complete -c evt -n "__fish_evt_using_subcommand playground" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_using_subcommand playground" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_using_subcommand playground" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evt -n "__fish_evt_using_subcommand playground" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_using_subcommand completions" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_using_subcommand completions" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_using_subcommand completions" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_using_subcommand completions" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_using_subcommand completions" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_using_subcommand completions" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_using_subcommand completions" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_using_subcommand completions" -s h -l help -d 'Print help'
complete -c evt -n "__fish_evt_using_subcommand completions" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_using_subcommand man" -l dir -d 'Write evt.1 and one evt-COMMAND.1 per command into this directory' -r -F
complete -c evt -n "__fish_evt_using_subcommand man" -s b -l brokers -d 'Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile\'s, else localhost:9092' -r
complete -c evt -n "__fish_evt_using_subcommand man" -s X -d 'A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)' -r
complete -c evt -n "__fish_evt_using_subcommand man" -l config -d 'A file of key=value librdkafka properties (the kcat.conf format)' -r -F
complete -c evt -n "__fish_evt_using_subcommand man" -l profile -d 'A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)' -r
complete -c evt -n "__fish_evt_using_subcommand man" -l timeout -d 'How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)' -r
complete -c evt -n "__fish_evt_using_subcommand man" -l playground -d 'Start the demo broker in-process for this one command and read from it'
complete -c evt -n "__fish_evt_using_subcommand man" -s v -l verbose -d 'More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs)'
complete -c evt -n "__fish_evt_using_subcommand man" -s h -l help -d 'Print help'
complete -c evt -n "__fish_evt_using_subcommand man" -s V -l version -d 'Print version'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "read" -d 'Read a bounded window of events (time travel) from topics or files, then exit'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "tail" -d 'Follow new events live, like tail -f, until Ctrl-C'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "replay" -d 'Copy a window of a topic (or an envelope file) into a sandbox topic, faithfully and safely'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "produce" -d 'Write envelope lines (JSONL, as evt read prints them) into a topic, byte for byte'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "validate" -d 'Check events against JSON Schemas: topic windows, or fixture files in CI'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "diff" -d 'Compare two streams (topic windows or files), paired by key, a field or offset, as JSON'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "stats" -d 'Diagnose a stream in one pass: counts, rate over time and gaps, keys, payload sizes, duplicates, timestamps out of order, per-key sequence faults'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "trace" -d 'One business transaction across topics: every event whose key (or --field, or --header) is ID, as one timeline with what changed at each step'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "topics" -d 'List topics: partitions, replication, events between watermarks, retention'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "describe" -d 'Describe topics: per partition leader, replicas, watermarks, oldest and newest event (how far back you can travel), the configs that matter and when history expires'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "offsets" -d 'The offset of every partition at a position of the grammar (time, offset, relative)'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "groups" -d 'List consumer groups: state, members, protocol, topics with committed offsets'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "lag" -d 'Consumer lag per partition, in events and in time (the age of the first unconsumed event), with each group\'s status'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "playground" -d 'Run an embedded broker with demo data (order saga, trades, faults) until Ctrl-C'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "man" -d 'Print the man page, or write one page per command into a directory'
complete -c evt -n "__fish_evt_using_subcommand help; and not __fish_seen_subcommand_from read tail replay produce validate diff stats trace topics describe offsets groups lag playground completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
