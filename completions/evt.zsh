#compdef evt

autoload -U is-at-least

_evt() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_evt_commands" \
"*::: :->evt" \
&& ret=0
    case $state in
    (evt)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:evt-command-$line[1]:"
        case $line[1] in
            (read)
_arguments "${_arguments_options[@]}" : \
'--from=[Where to start, inclusive\: beginning, end, 1234, -100, +100, 2h, 2026-11-24T10\:00, @MS]:POS:_default' \
'--until=[Where to stop, exclusive (same grammar as --from). Default\: the end when evt started]:POS:_default' \
'--order=[How events from several partitions and sources are ordered]:ORDER:((time\:"One timeline across partitions, merged by timestamp"
partition\:"Each partition in offset order, as it arrives (sources one after the other)"))' \
'--input=[How to read files\: jsonl (one event per line), json (one document\: an array of events or one event), values (each line'\''s bytes are a value). Default\: json for .json files, jsonl for the rest and stdin]:SHAPE:(jsonl json values)' \
'*-p+[Only these partitions, comma separated (e.g. -p 0,2)]:LIST:_default' \
'*--partition=[Only these partitions, comma separated (e.g. -p 0,2)]:LIST:_default' \
'-c+[Stop after N events in all]:N:_default' \
'--count=[Stop after N events in all]:N:_default' \
'*--key=[Only events with this key, exactly (repeat for any of several keys). Reads only the partition(s) the default partitioner maps the key(s) to, unless --no-prune]:KEY:_default' \
'--key-regex=[Only events whose key matches this regular expression]:REGEX:_default' \
'--grep=[Only events whose key or raw value matches this regular expression]:REGEX:_default' \
'*--header=[Only events with this header (NAME), or with a value matching REGEX (NAME=REGEX)]:NAME[=REGEX]:_default' \
'*--where=[A jq expression over the value that must be truthy, e.g. '\''.status == "FAILED"'\'']:JQ:_default' \
'*--where-envelope=[A jq expression over the whole envelope (topic, partition, offset, timestamp, key, headers, value), e.g. '\''.partition == 2 and .offset > 100'\'']:JQ:_default' \
'--jq=[Reshape what is printed with a jq expression over the value, e.g. '\''{id\: .order_id}'\'']:JQ:_default' \
'--validate=[Check each event against this schema file (or directory, by topic name) and mark the invalid ones inline]:PATH:_files' \
'--schema-by=[With a schema directory, choose the schema by this field of the event, e.g. .type (the same option as \`evt validate --schema-by\`)]:FIELD:_default' \
'--format=[Output format\: pretty, compact (one line per event), json (the envelope), value, table, or template='\''…'\'' (as -f). Default\: pretty on a terminal, json when piped]:FORMAT:_default' \
'(--format)-f+[A format string, as kcat'\''s -f\: %s value, %k key, %t topic, %p partition, %o offset, %T timestamp (ms), %h headers, %S/%K value/key length, %% and \\n \\t; evt'\''s own\: %{time} (as --time says), %{json} (the envelope), %{.path} (a path into the value)]:TEMPLATE:_default' \
'--time=[How times are shown in pretty, compact, table and template output (the JSON envelope keeps its own form)]:STYLE:((utc\:"ISO 8601 in UTC, with milliseconds"
local\:"ISO 8601 in the local time zone, with its offset"
ms\:"Milliseconds since the epoch"
relative\:"How long ago\: 3m12s ago"))' \
'--color=[When to use colour (NO_COLOR and TERM=dumb are honoured under auto)]:WHEN:(auto always never)' \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'--explain[Print the resolved plan (partition, start, end, count) and exit; a table, or JSON with --format json]' \
'--no-prune[Read every partition even with --key (when the producer did not partition by key)]' \
'--only-invalid[Print only the events that fail validation]' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::sources -- Topics or files (JSONL envelopes or values, JSON arrays; `-` is stdin); several are merged into one timeline:_default' \
&& ret=0
;;
(tail)
_arguments "${_arguments_options[@]}" : \
'-n+[First show the last N events of each partition]:N:_default' \
'--lines=[First show the last N events of each partition]:N:_default' \
'--until=[Stop at this position (an offset, or a time that is reached), exclusive]:POS:_default' \
'*-p+[Only these partitions, comma separated (e.g. -p 0,2)]:LIST:_default' \
'*--partition=[Only these partitions, comma separated (e.g. -p 0,2)]:LIST:_default' \
'-c+[Stop after N events in all]:N:_default' \
'--count=[Stop after N events in all]:N:_default' \
'*--key=[Only events with this key, exactly (repeat for any of several keys). Reads only the partition(s) the default partitioner maps the key(s) to, unless --no-prune]:KEY:_default' \
'--key-regex=[Only events whose key matches this regular expression]:REGEX:_default' \
'--grep=[Only events whose key or raw value matches this regular expression]:REGEX:_default' \
'*--header=[Only events with this header (NAME), or with a value matching REGEX (NAME=REGEX)]:NAME[=REGEX]:_default' \
'*--where=[A jq expression over the value that must be truthy, e.g. '\''.status == "FAILED"'\'']:JQ:_default' \
'*--where-envelope=[A jq expression over the whole envelope (topic, partition, offset, timestamp, key, headers, value), e.g. '\''.partition == 2 and .offset > 100'\'']:JQ:_default' \
'--jq=[Reshape what is printed with a jq expression over the value, e.g. '\''{id\: .order_id}'\'']:JQ:_default' \
'--validate=[Check each event against this schema file (or directory, by topic name) and mark the invalid ones inline]:PATH:_files' \
'--schema-by=[With a schema directory, choose the schema by this field of the event, e.g. .type (the same option as \`evt validate --schema-by\`)]:FIELD:_default' \
'--format=[Output format\: pretty, compact (one line per event), json (the envelope), value, table, or template='\''…'\'' (as -f). Default\: pretty on a terminal, json when piped]:FORMAT:_default' \
'(--format)-f+[A format string, as kcat'\''s -f\: %s value, %k key, %t topic, %p partition, %o offset, %T timestamp (ms), %h headers, %S/%K value/key length, %% and \\n \\t; evt'\''s own\: %{time} (as --time says), %{json} (the envelope), %{.path} (a path into the value)]:TEMPLATE:_default' \
'--time=[How times are shown in pretty, compact, table and template output (the JSON envelope keeps its own form)]:STYLE:((utc\:"ISO 8601 in UTC, with milliseconds"
local\:"ISO 8601 in the local time zone, with its offset"
ms\:"Milliseconds since the epoch"
relative\:"How long ago\: 3m12s ago"))' \
'--color=[When to use colour (NO_COLOR and TERM=dumb are honoured under auto)]:WHEN:(auto always never)' \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'--explain[Print the resolved plan (partition, start, end, count) and exit; a table, or JSON with --format json]' \
'--no-prune[Read every partition even with --key (when the producer did not partition by key)]' \
'--only-invalid[Print only the events that fail validation]' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::topics -- Topics to follow:_default' \
&& ret=0
;;
(replay)
_arguments "${_arguments_options[@]}" : \
'--to=[The target topic (created with the source'\''s partition count when missing)]:TOPIC:_default' \
'--from=[Where to start, inclusive\: beginning, end, 1234, -100, +100, 2h, 2026-11-24T10\:00, @MS]:POS:_default' \
'--until=[Where to stop, exclusive (same grammar as --from). Default\: the end when evt started]:POS:_default' \
'*-p+[Only these source partitions, comma separated]:LIST:_default' \
'*--partition=[Only these source partitions, comma separated]:LIST:_default' \
'(--to-profile)--to-brokers=[Write into another cluster (bootstrap brokers)]:LIST:_default' \
'--to-profile=[Write into the cluster of this profile]:NAME:_default' \
'--partitioner=[How target partitions are chosen\: the source partition, or the key'\''s hash]:PARTITIONER:((same\:"The source partition (the target needs at least as many partitions)"
key\:"murmur2 of the key, as the Java client does"))' \
'--format=[How --dry-run prints its plan\: a table, or JSON]:FORMAT:(table json)' \
'(--pace)--rate=[At most N events per second (e.g. 100/s, 600/m)]:N/s:_default' \
'--pace=[Keep the original gaps between events, scaled\: 1x, 10x (ten times faster), 0.5x]:FACTOR:_default' \
'--max-gap=[With --pace, the longest wait between two events (idle gaps are cut to this)]:DURATION:_default' \
'(--from --until -p --partition)--resume=[Continue an interrupted replay from its checkpoint file (no duplicates, no gaps)]:FILE:_files' \
'--checkpoint=[Where to keep the checkpoint. Default\: .evt-replay-SOURCE-TARGET.json here]:FILE:_files' \
'*--key=[Only events with this key, exactly (repeat for any of several keys). Reads only the partition(s) the default partitioner maps the key(s) to, unless --no-prune]:KEY:_default' \
'--key-regex=[Only events whose key matches this regular expression]:REGEX:_default' \
'--grep=[Only events whose key or raw value matches this regular expression]:REGEX:_default' \
'*--header=[Only events with this header (NAME), or with a value matching REGEX (NAME=REGEX)]:NAME[=REGEX]:_default' \
'*--where=[A jq expression over the value that must be truthy, e.g. '\''.status == "FAILED"'\'']:JQ:_default' \
'*--where-envelope=[A jq expression over the whole envelope (topic, partition, offset, timestamp, key, headers, value), e.g. '\''.partition == 2 and .offset > 100'\'']:JQ:_default' \
'--jq=[Reshape what is printed with a jq expression over the value, e.g. '\''{id\: .order_id}'\'']:JQ:_default' \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'--no-provenance[Do not add the evt-source header (topic/partition/offset of the original)]' \
'--append[Allow writing into a target that already holds events]' \
'--dry-run[Print the plan (per partition\: offsets, count, first/last time, target) and write nothing]' \
'--skip-bad[Report records the target will never accept (too large, or malformed lines in a file) and go on, instead of stopping at the first one]' \
'--no-prune[Read every partition even with --key (when the producer did not partition by key)]' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':source -- The source\: a topic, or an envelope file (JSONL, `-` for stdin):_default' \
&& ret=0
;;
(produce)
_arguments "${_arguments_options[@]}" : \
'--input=[How to read files\: jsonl (one event per line), json (one document\: an array of events or one event), values (each line'\''s bytes are a value). Default\: json for .json files, jsonl for the rest and stdin]:SHAPE:(jsonl json values)' \
'()--key=[One event typed by hand\: its key. Its value is --value, --value-file, or all of stdin]:KEY:_default' \
'()*--header=[One event typed by hand\: a header NAME=VALUE (repeatable)]:NAME=VALUE:_default' \
'(--value-file)--value=[One event typed by hand\: its value, as text]:TEXT:_default' \
'()--value-file=[One event typed by hand\: its value, the bytes of this file (\`-\`\: stdin)]:PATH:_files' \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'(--input)--values[Lines are plain values (each line'\''s bytes as the value, no key)\: --input values]' \
'--skip-bad[Report bad lines and records too large to write, and go on, instead of stopping at the first one]' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':topic -- The topic to write into:_default' \
'*::files -- Envelope files (JSONL); stdin when none or `-`:_files' \
&& ret=0
;;
(validate)
_arguments "${_arguments_options[@]}" : \
'--schema=[A schema file, or a directory of schemas named <topic>.json (or <FIELD value>.json)]:PATH:_files' \
'--schema-by=[In a schema directory, choose the schema by this field of the event, e.g. .type]:FIELD:_default' \
'--missing-schema=[What an event without a schema is]:MISSING_SCHEMA:((error\:"Report it as invalid"
warn\:"Warn on stderr and count it as unchecked"
ignore\:"Count it as unchecked, silently"))' \
'--format=[Report format]:FORMAT:((text\:"One block per invalid event, then a summary table"
json\:"One JSON object per invalid event"
github\:"GitHub Actions workflow annotations (\:\:error file=…,line=…\:\:…)"
junit\:"A JUnit XML report (CI dashboards)"))' \
'--max-errors=[Stop after N invalid events]:N:_default' \
'--from=[Where to start, inclusive\: beginning, end, 1234, -100, +100, 2h, 2026-11-24T10\:00, @MS]:POS:_default' \
'--until=[Where to stop, exclusive (same grammar as --from). Default\: the end when evt started]:POS:_default' \
'*-p+[For topics\: only these partitions]:LIST:_default' \
'*--partition=[For topics\: only these partitions]:LIST:_default' \
'--input=[How to read files\: jsonl (one event per line), json (one document\: an array of events or one event), values (each line'\''s bytes are a value). Default\: json for .json files, jsonl for the rest and stdin]:SHAPE:(jsonl json values)' \
'*--key=[Only events with this key, exactly (repeat for any of several keys). Reads only the partition(s) the default partitioner maps the key(s) to, unless --no-prune]:KEY:_default' \
'--key-regex=[Only events whose key matches this regular expression]:REGEX:_default' \
'--grep=[Only events whose key or raw value matches this regular expression]:REGEX:_default' \
'*--header=[Only events with this header (NAME), or with a value matching REGEX (NAME=REGEX)]:NAME[=REGEX]:_default' \
'*--where=[A jq expression over the value that must be truthy, e.g. '\''.status == "FAILED"'\'']:JQ:_default' \
'*--where-envelope=[A jq expression over the whole envelope (topic, partition, offset, timestamp, key, headers, value), e.g. '\''.partition == 2 and .offset > 100'\'']:JQ:_default' \
'--jq=[Reshape what is printed with a jq expression over the value, e.g. '\''{id\: .order_id}'\'']:JQ:_default' \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'--no-prune[Read every partition even with --key (when the producer did not partition by key)]' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::sources -- Topics, or files\: JSONL envelopes, JSONL values, or a JSON array (`-` is stdin):_default' \
&& ret=0
;;
(diff)
_arguments "${_arguments_options[@]}" : \
'--from=[Where to start, inclusive\: beginning, end, 1234, -100, +100, 2h, 2026-11-24T10\:00, @MS]:POS:_default' \
'--until=[Where to stop, exclusive (same grammar as --from). Default\: the end when evt started]:POS:_default' \
'*-p+[For topics\: only these partitions, comma separated]:LIST:_default' \
'*--partition=[For topics\: only these partitions, comma separated]:LIST:_default' \
'--left-from=[Where the left side starts (overrides --from)]:POS:_default' \
'--left-until=[Where the left side stops (overrides --until)]:POS:_default' \
'--right-from=[Where the right side starts (overrides --from)]:POS:_default' \
'--right-until=[Where the right side stops (overrides --until)]:POS:_default' \
'(--left-profile)--left-brokers=[Read the left side from this cluster (bootstrap brokers)]:LIST:_default' \
'--left-profile=[Read the left side from the cluster of this profile]:NAME:_default' \
'(--right-profile)--right-brokers=[Read the right side from this cluster (bootstrap brokers)]:LIST:_default' \
'--right-profile=[Read the right side from the cluster of this profile]:NAME:_default' \
'--by=[How events are paired\: key, offset (partition and offset), or a path into the value such as .order_id. Several events under one id pair in order]:key|offset|.PATH:_default' \
'--compare=[What is compared\: the value, or the envelope (value, key, headers and timestamp)]:WHAT:((value\:"The value only"
envelope\:"Value, key, headers and timestamp"))' \
'*--ignore=[A path into the value left out of the comparison (repeatable), e.g. .updated_at or .items\[\].updated_at (\[\] is every element)]:PATH:_default' \
'--max-memory=[The most memory spent holding events while pairing (e.g. 512M, 4G). Sides in the same order need little; past it, evt stops and says so. Default\: 1G, or half the memory available when that is less]:SIZE:_default' \
'--format=[Output\: text (a summary, then each difference), json (one object per difference, then the summary), patch (an RFC 6902 JSON Patch per changed event)]:FORMAT:(text json patch)' \
'--max-diffs=[Show at most N differences (the counts stay complete)]:N:_default' \
'--color=[When to use colour (NO_COLOR and TERM=dumb are honoured under auto)]:WHEN:(auto always never)' \
'--input=[How to read files\: jsonl (one event per line), json (one document\: an array of events or one event), values (each line'\''s bytes are a value). Default\: json for .json files, jsonl for the rest and stdin]:SHAPE:(jsonl json values)' \
'*--key=[Only events with this key, exactly (repeat for any of several keys). Reads only the partition(s) the default partitioner maps the key(s) to, unless --no-prune]:KEY:_default' \
'--key-regex=[Only events whose key matches this regular expression]:REGEX:_default' \
'--grep=[Only events whose key or raw value matches this regular expression]:REGEX:_default' \
'*--header=[Only events with this header (NAME), or with a value matching REGEX (NAME=REGEX)]:NAME[=REGEX]:_default' \
'*--where=[A jq expression over the value that must be truthy, e.g. '\''.status == "FAILED"'\'']:JQ:_default' \
'*--where-envelope=[A jq expression over the whole envelope (topic, partition, offset, timestamp, key, headers, value), e.g. '\''.partition == 2 and .offset > 100'\'']:JQ:_default' \
'--jq=[Reshape what is printed with a jq expression over the value, e.g. '\''{id\: .order_id}'\'']:JQ:_default' \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'--ignore-headers[With --compare envelope\: headers do not count]' \
'--ignore-timestamps[With --compare envelope\: timestamps do not count]' \
'-q[Print nothing\: the exit code says it (0 identical, 1 different)]' \
'--quiet[Print nothing\: the exit code says it (0 identical, 1 different)]' \
'--no-prune[Read every partition even with --key (when the producer did not partition by key)]' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':left -- The left side\: a topic, or a file (JSONL envelopes or values, a JSON array; `-` is stdin):_default' \
':right -- The right side, the same way:_default' \
&& ret=0
;;
(stats)
_arguments "${_arguments_options[@]}" : \
'--id=[Duplicates are events with the same value at this path (e.g. .event_id); without it, events whose key and value are both identical]:PATH:_default' \
'--seq=[A per-key sequence number at this path (e.g. .version)\: gaps and regressions are counted per key]:PATH:_default' \
'--gap=[List quiet stretches longer than this (e.g. 30s, 5m)]:DURATION:_default' \
'--top=[How many of the most frequent keys to show]:N:_default' \
'--schema=[Count valid and invalid events per schema\: a schema file, or a directory of schemas named <topic>.json (or <FIELD value>.json with --schema-by)]:PATH:_files' \
'--schema-by=[In a schema directory, choose the schema by this field of the event, e.g. .type]:FIELD:_default' \
'*--fail-on=[Exit 1 when any of these is found\: duplicates, out-of-order, sequence, invalid]:LIST:((duplicates\:""
out-of-order\:""
sequence\:""
invalid\:"Events that fail their schema (with --schema)"))' \
'--format=[]:FORMAT:((table\:"A table for people"
json\:"JSON for machines (field names are stable and documented in the README)"))' \
'--from=[Where to start, inclusive\: beginning, end, 1234, -100, +100, 2h, 2026-11-24T10\:00, @MS]:POS:_default' \
'--until=[Where to stop, exclusive (same grammar as --from). Default\: the end when evt started]:POS:_default' \
'*-p+[For topics\: only these partitions]:LIST:_default' \
'*--partition=[For topics\: only these partitions]:LIST:_default' \
'--input=[How to read files\: jsonl (one event per line), json (one document\: an array of events or one event), values (each line'\''s bytes are a value). Default\: json for .json files, jsonl for the rest and stdin]:SHAPE:(jsonl json values)' \
'*--key=[Only events with this key, exactly (repeat for any of several keys). Reads only the partition(s) the default partitioner maps the key(s) to, unless --no-prune]:KEY:_default' \
'--key-regex=[Only events whose key matches this regular expression]:REGEX:_default' \
'--grep=[Only events whose key or raw value matches this regular expression]:REGEX:_default' \
'*--header=[Only events with this header (NAME), or with a value matching REGEX (NAME=REGEX)]:NAME[=REGEX]:_default' \
'*--where=[A jq expression over the value that must be truthy, e.g. '\''.status == "FAILED"'\'']:JQ:_default' \
'*--where-envelope=[A jq expression over the whole envelope (topic, partition, offset, timestamp, key, headers, value), e.g. '\''.partition == 2 and .offset > 100'\'']:JQ:_default' \
'--jq=[Reshape what is printed with a jq expression over the value, e.g. '\''{id\: .order_id}'\'']:JQ:_default' \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'--no-prune[Read every partition even with --key (when the producer did not partition by key)]' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::sources -- Topics, or files (`-` is stdin):_default' \
&& ret=0
;;
(trace)
_arguments "${_arguments_options[@]}" : \
'*--field=[Match this field of the value too (repeatable, e.g. one per topic\: .order_id, .id)]:PATH:_default' \
'--header=[Match this header too (e.g. trace-id)]:NAME:_default' \
'--type=[The event type\: this field of the value (e.g. .type)]:PATH:_default' \
'--expect=[The expected flow\: the happy path in order and failure->compensation pairs, e.g. '\''OrderCreated,PaymentAuthorized,OrderShipped,PaymentFailed->OrderCancelled'\'']:TYPES:_default' \
'--format=[]:FORMAT:((table\:"A table for people"
json\:"JSON for machines (field names are stable and documented in the README)"))' \
'--from=[Where to start, inclusive\: beginning, end, 1234, -100, +100, 2h, 2026-11-24T10\:00, @MS]:POS:_default' \
'--until=[Where to stop, exclusive (same grammar as --from). Default\: the end when evt started]:POS:_default' \
'--input=[How to read files\: jsonl (one event per line), json (one document\: an array of events or one event), values (each line'\''s bytes are a value). Default\: json for .json files, jsonl for the rest and stdin]:SHAPE:(jsonl json values)' \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'--follow[After the window, keep watching live\: each new event of the id as it comes, until Ctrl-C, --until (a later time) or, with --expect, the flow completes or is compensated]' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':id -- The id\: a key, or a value of --field or --header:_default' \
'*::sources -- Topics or files (default\: every topic but internal ones):_default' \
&& ret=0
;;
(topics)
_arguments "${_arguments_options[@]}" : \
'--format=[]:FORMAT:((table\:"A table for people"
json\:"JSON for machines (field names are stable and documented in the README)"))' \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'--all[Also internal topics (__consumer_offsets, _schemas, …)]' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'::glob -- Only topics whose name matches this glob (e.g. '\''orders*'\''):_default' \
&& ret=0
;;
(describe)
_arguments "${_arguments_options[@]}" : \
'--format=[]:FORMAT:((table\:"A table for people"
json\:"JSON for machines (field names are stable and documented in the README)"))' \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::topics -- Topics to describe:_default' \
&& ret=0
;;
(offsets)
_arguments "${_arguments_options[@]}" : \
'--at=[The position (the --from grammar\: 2h, 2026-11-24T14\:05, @EPOCH_MS, -100, 1234, end)]:POS:_default' \
'*-p+[Only these partitions, comma separated]:LIST:_default' \
'*--partition=[Only these partitions, comma separated]:LIST:_default' \
'--format=[]:FORMAT:((table\:"A table for people"
json\:"JSON for machines (field names are stable and documented in the README)"))' \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::topics -- Topics:_default' \
&& ret=0
;;
(groups)
_arguments "${_arguments_options[@]}" : \
'--format=[]:FORMAT:((table\:"A table for people"
json\:"JSON for machines (field names are stable and documented in the README)"))' \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'::glob -- Only groups whose id matches this glob:_default' \
&& ret=0
;;
(lag)
_arguments "${_arguments_options[@]}" : \
'*-t+[Only these topics (repeatable). Needed on RabbitMQ Streams, where GROUP is a consumer'\''s reference name and the broker cannot list streams]:TOPIC:_default' \
'*--topic=[Only these topics (repeatable). Needed on RabbitMQ Streams, where GROUP is a consumer'\''s reference name and the broker cannot list streams]:TOPIC:_default' \
'--max-lag=[Exit 1 when a group is more than N events behind (its total over partitions)]:N:_default' \
'--max-lag-time=[Exit 1 when a group'\''s oldest unconsumed event is older than this (e.g. 5m, 30s)]:DURATION:_default' \
'--watch=[Sample again every INTERVAL (default 5s) until Ctrl-C, refreshing in place on a terminal; the status then follows the samples (stalled, stopped, rewind, …)]::INTERVAL:_default' \
'--samples=[With --watch\: stop after N samples (exit as without --watch)]:N:_default' \
'--format=[]:FORMAT:((table\:"A table for people"
json\:"JSON for machines (field names are stable and documented in the README)"))' \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'--all-partitions[Show every partition, also those caught up]' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::groups -- Groups (globs allowed); all groups when none is given:_default' \
&& ret=0
;;
(playground)
_arguments "${_arguments_options[@]}" : \
'--rate=[Live events per second after the history (0 for none)]:N/s:_default' \
'--history=[How much backdated history to write first (e.g. 24h, 2h, 0s)]:DURATION:_default' \
'--seed=[Seed of the demo generator\: the same seed tells the same story]:SEED:_default' \
'--bench-events=[Also create topic \`bench\` with N small JSON events (for bench/run)]:N:_default' \
'--bench-partitions=[Partitions of the \`bench\` topic]:N:_default' \
'*--topic=[Also create this empty topic (repeatable), e.g. --topic sandbox-orders\:6. The embedded broker cannot create topics on request, so replay targets are made here]:NAME:PARTITIONS:_default' \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'--with-rabbitmq[Also run a private RabbitMQ node (RabbitMQ must be installed) with the demo topics copied into streams of the same names, history and live events; reach it with --profile playground-rabbitmq]' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
':shell:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
'--dir=[Write evt.1 and one evt-COMMAND.1 per command into this directory]:DIR:_files' \
'-b+[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'--brokers=[Bootstrap brokers, comma separated (host\:port,…), or a RabbitMQ Streams address (rabbitmq-stream\://user\:password@host\:5552/vhost). Default\: the profile'\''s, else localhost\:9092]:LIST:_default' \
'*-X+[A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ Streams, key.property=NAME (the application property that holds the key)]:KEY=VALUE:_default' \
'--config=[A file of key=value librdkafka properties (the kcat.conf format)]:FILE:_files' \
'--profile=[A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG)]:NAME:_default' \
'--timeout=[How long to wait for the broker before failing (e.g. 10s, 500ms, 1m)]:DURATION:_default' \
'(-b --brokers --profile)--playground[Start the demo broker in-process for this one command and read from it]' \
'*-v[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'*--verbose[More detail on stderr (-v\: plan and progress notes, -vv\: librdkafka debug logs)]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_evt__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:evt-help-command-$line[1]:"
        case $line[1] in
            (read)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(tail)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(replay)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(produce)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(validate)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(diff)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(stats)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(trace)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(topics)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(describe)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(offsets)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(groups)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(lag)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(playground)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_evt_commands] )) ||
_evt_commands() {
    local commands; commands=(
'read:Read a bounded window of events (time travel) from topics or files, then exit' \
'tail:Follow new events live, like tail -f, until Ctrl-C' \
'replay:Copy a window of a topic (or an envelope file) into a sandbox topic, faithfully and safely' \
'produce:Write envelope lines (JSONL, as evt read prints them) into a topic, byte for byte' \
'validate:Check events against JSON Schemas\: topic windows, or fixture files in CI' \
'diff:Compare two streams (topic windows or files), paired by key, a field or offset, as JSON' \
'stats:Diagnose a stream in one pass\: counts, rate over time and gaps, keys, payload sizes, duplicates, timestamps out of order, per-key sequence faults' \
'trace:One business transaction across topics\: every event whose key (or --field, or --header) is ID, as one timeline with what changed at each step' \
'topics:List topics\: partitions, replication, events between watermarks, retention' \
'describe:Describe topics\: per partition leader, replicas, watermarks, oldest and newest event (how far back you can travel), the configs that matter and when history expires' \
'offsets:The offset of every partition at a position of the grammar (time, offset, relative)' \
'groups:List consumer groups\: state, members, protocol, topics with committed offsets' \
'lag:Consumer lag per partition, in events and in time (the age of the first unconsumed event), with each group'\''s status' \
'playground:Run an embedded broker with demo data (order saga, trades, faults) until Ctrl-C' \
'completions:Print a shell completion script (bash, zsh, fish, powershell, elvish)' \
'man:Print the man page, or write one page per command into a directory' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'evt commands' commands "$@"
}
(( $+functions[_evt__subcmd__completions_commands] )) ||
_evt__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'evt completions commands' commands "$@"
}
(( $+functions[_evt__subcmd__describe_commands] )) ||
_evt__subcmd__describe_commands() {
    local commands; commands=()
    _describe -t commands 'evt describe commands' commands "$@"
}
(( $+functions[_evt__subcmd__diff_commands] )) ||
_evt__subcmd__diff_commands() {
    local commands; commands=()
    _describe -t commands 'evt diff commands' commands "$@"
}
(( $+functions[_evt__subcmd__groups_commands] )) ||
_evt__subcmd__groups_commands() {
    local commands; commands=()
    _describe -t commands 'evt groups commands' commands "$@"
}
(( $+functions[_evt__subcmd__help_commands] )) ||
_evt__subcmd__help_commands() {
    local commands; commands=(
'read:Read a bounded window of events (time travel) from topics or files, then exit' \
'tail:Follow new events live, like tail -f, until Ctrl-C' \
'replay:Copy a window of a topic (or an envelope file) into a sandbox topic, faithfully and safely' \
'produce:Write envelope lines (JSONL, as evt read prints them) into a topic, byte for byte' \
'validate:Check events against JSON Schemas\: topic windows, or fixture files in CI' \
'diff:Compare two streams (topic windows or files), paired by key, a field or offset, as JSON' \
'stats:Diagnose a stream in one pass\: counts, rate over time and gaps, keys, payload sizes, duplicates, timestamps out of order, per-key sequence faults' \
'trace:One business transaction across topics\: every event whose key (or --field, or --header) is ID, as one timeline with what changed at each step' \
'topics:List topics\: partitions, replication, events between watermarks, retention' \
'describe:Describe topics\: per partition leader, replicas, watermarks, oldest and newest event (how far back you can travel), the configs that matter and when history expires' \
'offsets:The offset of every partition at a position of the grammar (time, offset, relative)' \
'groups:List consumer groups\: state, members, protocol, topics with committed offsets' \
'lag:Consumer lag per partition, in events and in time (the age of the first unconsumed event), with each group'\''s status' \
'playground:Run an embedded broker with demo data (order saga, trades, faults) until Ctrl-C' \
'completions:Print a shell completion script (bash, zsh, fish, powershell, elvish)' \
'man:Print the man page, or write one page per command into a directory' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'evt help commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__completions_commands] )) ||
_evt__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'evt help completions commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__describe_commands] )) ||
_evt__subcmd__help__subcmd__describe_commands() {
    local commands; commands=()
    _describe -t commands 'evt help describe commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__diff_commands] )) ||
_evt__subcmd__help__subcmd__diff_commands() {
    local commands; commands=()
    _describe -t commands 'evt help diff commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__groups_commands] )) ||
_evt__subcmd__help__subcmd__groups_commands() {
    local commands; commands=()
    _describe -t commands 'evt help groups commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__help_commands] )) ||
_evt__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'evt help help commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__lag_commands] )) ||
_evt__subcmd__help__subcmd__lag_commands() {
    local commands; commands=()
    _describe -t commands 'evt help lag commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__man_commands] )) ||
_evt__subcmd__help__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'evt help man commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__offsets_commands] )) ||
_evt__subcmd__help__subcmd__offsets_commands() {
    local commands; commands=()
    _describe -t commands 'evt help offsets commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__playground_commands] )) ||
_evt__subcmd__help__subcmd__playground_commands() {
    local commands; commands=()
    _describe -t commands 'evt help playground commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__produce_commands] )) ||
_evt__subcmd__help__subcmd__produce_commands() {
    local commands; commands=()
    _describe -t commands 'evt help produce commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__read_commands] )) ||
_evt__subcmd__help__subcmd__read_commands() {
    local commands; commands=()
    _describe -t commands 'evt help read commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__replay_commands] )) ||
_evt__subcmd__help__subcmd__replay_commands() {
    local commands; commands=()
    _describe -t commands 'evt help replay commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__stats_commands] )) ||
_evt__subcmd__help__subcmd__stats_commands() {
    local commands; commands=()
    _describe -t commands 'evt help stats commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__tail_commands] )) ||
_evt__subcmd__help__subcmd__tail_commands() {
    local commands; commands=()
    _describe -t commands 'evt help tail commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__topics_commands] )) ||
_evt__subcmd__help__subcmd__topics_commands() {
    local commands; commands=()
    _describe -t commands 'evt help topics commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__trace_commands] )) ||
_evt__subcmd__help__subcmd__trace_commands() {
    local commands; commands=()
    _describe -t commands 'evt help trace commands' commands "$@"
}
(( $+functions[_evt__subcmd__help__subcmd__validate_commands] )) ||
_evt__subcmd__help__subcmd__validate_commands() {
    local commands; commands=()
    _describe -t commands 'evt help validate commands' commands "$@"
}
(( $+functions[_evt__subcmd__lag_commands] )) ||
_evt__subcmd__lag_commands() {
    local commands; commands=()
    _describe -t commands 'evt lag commands' commands "$@"
}
(( $+functions[_evt__subcmd__man_commands] )) ||
_evt__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'evt man commands' commands "$@"
}
(( $+functions[_evt__subcmd__offsets_commands] )) ||
_evt__subcmd__offsets_commands() {
    local commands; commands=()
    _describe -t commands 'evt offsets commands' commands "$@"
}
(( $+functions[_evt__subcmd__playground_commands] )) ||
_evt__subcmd__playground_commands() {
    local commands; commands=()
    _describe -t commands 'evt playground commands' commands "$@"
}
(( $+functions[_evt__subcmd__produce_commands] )) ||
_evt__subcmd__produce_commands() {
    local commands; commands=()
    _describe -t commands 'evt produce commands' commands "$@"
}
(( $+functions[_evt__subcmd__read_commands] )) ||
_evt__subcmd__read_commands() {
    local commands; commands=()
    _describe -t commands 'evt read commands' commands "$@"
}
(( $+functions[_evt__subcmd__replay_commands] )) ||
_evt__subcmd__replay_commands() {
    local commands; commands=()
    _describe -t commands 'evt replay commands' commands "$@"
}
(( $+functions[_evt__subcmd__stats_commands] )) ||
_evt__subcmd__stats_commands() {
    local commands; commands=()
    _describe -t commands 'evt stats commands' commands "$@"
}
(( $+functions[_evt__subcmd__tail_commands] )) ||
_evt__subcmd__tail_commands() {
    local commands; commands=()
    _describe -t commands 'evt tail commands' commands "$@"
}
(( $+functions[_evt__subcmd__topics_commands] )) ||
_evt__subcmd__topics_commands() {
    local commands; commands=()
    _describe -t commands 'evt topics commands' commands "$@"
}
(( $+functions[_evt__subcmd__trace_commands] )) ||
_evt__subcmd__trace_commands() {
    local commands; commands=()
    _describe -t commands 'evt trace commands' commands "$@"
}
(( $+functions[_evt__subcmd__validate_commands] )) ||
_evt__subcmd__validate_commands() {
    local commands; commands=()
    _describe -t commands 'evt validate commands' commands "$@"
}

if [ "$funcstack[1]" = "_evt" ]; then
    _evt "$@"
else
    compdef _evt evt
fi
