#!/bin/bash
# 43-application-rules: HAProxy-syntax application rules (issue 16), in
# front of two nginx that echo what reached them (method, URI, the
# headers the rules touch, the request's length):
#   - use_backend sends /api/* (and what replace-path made /api/*) to the
#     api pool, everything else to default-pool main;
#   - deny answers 403 (a User-Agent matched with -i; a source listed in
#     a -f pattern file, on a second virtual server), deny_status 429;
#     return, redirect (location, scheme, prefix) answer at once with
#     Connection: close, and the members never see those requests;
#     tarpit answers only after timeout tarpit; return ... file;
#   - set-header replaces every copy, add-header (%[src]) appends,
#     del-header removes every copy, replace-path (\1) rewrites: as the
#     member saw them;
#   - http-response set-header/del-header as curl sees them, set-status
#     404 -> 418, deny on a response header -> 502;
#   - an NSX-era line (rspadd) is read as the modern one, with a warning;
#   - `rules a b` applies a then b (and `rules b a` the other way);
#   - edgectl show rules counts each rule's hits, kept across a reload
#     while the line stays;
#   - edged -t refuses an unknown keyword, use_backend to no pool, a bad
#     regex, a missing -f file and `rules nosuch`, each at FILE:LINE;
#     a reload with a bad rule keeps the old rules serving, a good one
#     (a rule and the pattern file changed) takes effect;
#   - edged -T prints the block's lines as written, and what it prints
#     passes edged -t and prints the same again.
. "$(dirname "$0")/lib.sh"
it_begin 43-application-rules

V=$((IT_PORT + 0)) VB=$((IT_PORT + 1)) VAB=$((IT_PORT + 2)) VBA=$((IT_PORT + 3))
MAIN=$((IT_PORT + 11)) API=$((IT_PORT + 12))
require_free_ports $V $VB $VAB $VBA $MAIN $API

# echo_locations POOL: a regex location (it wins over lib.sh's
# `location /`) answering what the member saw; nginx 1.22's $http_NAME
# is the first header of that name, so $request_length tells whether
# copies were added or left.  /missing answers 404, /leak sends X-Leak.
# The member sends its own Strict-Transport-Security, which the rules
# replace.
echo_locations() {
	cat <<NGX
location ~ ^/ {
            add_header X-Backend $1 always;
            add_header Strict-Transport-Security "max-age=1" always;
            return 200 "pool=$1 method=\$request_method uri=\$request_uri edge=[\$http_x_edge] client=[\$http_x_client] debug=[\$http_x_debug] len=\$request_length\n";
        }
        location = /missing { return 404 "missing\n"; }
        location = /leak {
            add_header X-Leak secret always;
            return 200 "leaked\n";
        }
NGX
}
nginx_backend main $MAIN "$(echo_locations main)"
nginx_backend api $API "$(echo_locations api)"

printf '10.20.30.40\n127.0.0.1\n192.168.0.0/16\n' >"$T/blocklist.txt"
printf '<html><body>Back soon.</body></html>\n' >"$T/maint.html"
printf '# path -> what it became\n/old-api/v moved\n' >"$T/paths.map"

# write_conf: the configuration on stdout, from these variables:
#   PONG       the body /ping returns
#   API_PATHS  the path prefixes is_api takes
#   PLANT      one more line at the end of block www (an error, or none)
#   WWW_RULES  the rule blocks virtual server www applies
PONG=pong API_PATHS=/api/ PLANT='' WWW_RULES=www
write_conf() {
	edged_conf_head "timeout tarpit 400ms"
	cat <<CONF
application-profile web { type http; x-forwarded-for none }
pool main {
    member m1 127.0.0.1:$MAIN
}
pool api {
    member a1 127.0.0.1:$API
}
application-rule www {
    # HAProxy's lines, as they would be in a frontend
    acl is_api path_beg $API_PATHS
    acl bad_agent hdr_sub(user-agent) -i sqlmap nikto
    http-request deny if bad_agent
    http-request deny deny_status 429 if { path /limited }
    http-request tarpit deny_status 503 if { path /trap }
    http-request redirect location /new code 301 if { path /old }
    http-request redirect scheme https code 302 if { path /secure }
    http-request redirect prefix /v2 if { path_beg /v1/ }
    http-request return status 200 content-type text/plain string "$PONG" if { path /ping }
    http-request return status 503 content-type text/html file $T/maint.html if { path /maint }
    http-request set-header X-Edge edged
    http-request set-var(txn.path) path
    http-request add-header X-Client %[src]
    http-request del-header X-Debug
    http-request replace-path ^/old-api/(.*)$ /api/\1
    use_backend api if is_api
    use_backend api if { hdr(x-route),lower,field(1,:) -m str api }
    http-response set-header Strict-Transport-Security "max-age=31536000"
    http-response del-header Server
    http-response set-header X-Asked %[var(txn.path)]
    http-response set-header X-Map %[var(txn.path),map($T/paths.map,none),upper]
    http-response set-status 418 if { status 404 }
    http-response deny if { res.hdr(X-Leak) -m found }
    # an NSX Edge line: HAProxy removed rspadd in 2.1
    rspadd X-Nsx:\\ yes if { status 200 }
$PLANT
}
application-rule blockers {
    acl blocked src -f $T/blocklist.txt
    acl bad_agent hdr_sub(user-agent) -i sqlmap nikto
    http-request deny if bad_agent || blocked
}
application-rule a {
    http-request deny deny_status 451 if { path_beg /both }
    http-request set-header X-Edge from-a
}
application-rule b {
    http-request deny deny_status 452 if { path_beg /both }
    http-request return status 200 content-type text/plain string "from-b" if { path /only-b }
    http-request set-header X-Edge from-b
}
virtual-server www {
    listen 127.0.0.1:$V
    profile web
    default-pool main
    rules $WWW_RULES
}
virtual-server blocked {
    listen 127.0.0.1:$VB
    profile web
    default-pool main
    rules blockers
}
virtual-server ab {
    listen 127.0.0.1:$VAB
    profile web
    default-pool main
    rules a b
}
virtual-server ba {
    listen 127.0.0.1:$VBA
    profile web
    default-pool main
    rules b a
}
CONF
}
F=$T/edged.conf
write_conf >"$F"
edged_start "$F" $V $VB $VAB $VBA

# req PORT PATH [CURL-ARGS...]: the status of a GET (000: no answer);
# the head it got in $T/head, its body in $T/body
req() {
	local port=$1 path=$2
	shift 2
	: >"$T/head"
	: >"$T/body"
	curl -s --max-time 5 -D "$T/head" -o "$T/body" -w '%{http_code}' \
	    "$@" "http://127.0.0.1:$port$path" || true
}
# hdr NAME: the values of the response header NAME in $T/head, one a line
hdr() {
	{ grep -i "^$1:" "$T/head" || true; } |
	    sed 's/^[^:]*:[[:space:]]*//; s/\r$//'
}
hdr_count() { hdr "$1" | grep -c . || true; }
body() { cat "$T/body"; }
# len_of: the request length the member saw (from $T/body)
len_of() { sed -n 's/.* len=\([0-9]*\)$/\1/p' "$T/body"; }
# seen NAME PATH: requests for PATH (the path as sent) in NAME's log
seen() {
	sleep 0.05
	grep -c "\"GET $2 HTTP" "$T/$1.access" || true
}

# ---- 1. use_backend ----
assert_eq "GET /api/users: status" 200 "$(req $V /api/users)"
assert_eq "GET /api/users: member" api "$(hdr X-Backend)"
assert_match "GET /api/users: what api saw" '^pool=api method=GET uri=/api/users ' \
    "$(body)"
assert_eq "GET /apix (no slash after api): member" main \
    "$(req $V /apix >/dev/null; hdr X-Backend)"
assert_eq "GET /: status" 200 "$(req $V /)"
assert_eq "GET /: member (default-pool)" main "$(hdr X-Backend)"
assert_eq "main saw no /api/ request" 0 "$(seen main '/api/[^ ]*')"

# ---- 2. deny ----
assert_eq "User-Agent with SQLMap (-i): status" 403 \
    "$(req $V /deny-ua -A 'Mozilla/5.0 (SQLMap 1.7)')"
assert_eq "User-Agent NIKTO (-i): status" 403 \
    "$(req $V /deny-ua -A 'NIKTO/2.5')"
assert_eq "an ordinary User-Agent: status" 200 \
    "$(req $V /deny-ua -A 'Mozilla/5.0 (X11; Linux x86_64)')"
assert_eq "members saw /deny-ua once (the allowed one)" 1 \
    "$(( $(seen main /deny-ua) + $(seen api /deny-ua) ))"
assert_eq "deny_status 429: status" 429 "$(req $V /limited)"
assert_match "deny closes the connection" '^close$' "$(hdr Connection)"
assert_eq "members saw no /limited" 0 \
    "$(( $(seen main /limited) + $(seen api /limited) ))"
# two requests on one connection: the first is denied, the connection
# closed, the second never answered nor forwarded
printf 'GET /limited HTTP/1.1\r\nHost: x\r\n\r\nGET /after-deny HTTP/1.1\r\nHost: x\r\n\r\n' |
    raw $V --timeout 3 >"$T/raw.out" 2>"$T/raw.err" || true
assert_match "pipelined: the first answered 429" '^HTTP/1\.1 429 ' \
    "$(head -1 "$T/raw.out")"
assert_eq "pipelined: responses" 1 "$(grep -ac '^HTTP/1\.1 ' "$T/raw.out" || true)"
assert_match "pipelined: edged closed the connection" 'closed=yes' \
    "$(cat "$T/raw.err")"
assert_eq "pipelined: /after-deny not forwarded" 0 "$(seen main /after-deny)"
# the second virtual server: 127.0.0.1 is in the -f file
assert_eq "source in the -f blocklist: status" 403 "$(req $VB /blocked)"
assert_eq "members saw nothing from virtual server blocked" 0 \
    "$(seen main /blocked)"

# ---- 3. return and redirect ----
assert_eq "return: status" 200 "$(req $V /ping)"
assert_eq "return: body" pong "$(body)"
assert_match "return: Content-Type" '^text/plain' "$(hdr Content-Type)"
assert_eq "return: Connection" close "$(hdr Connection)"
assert_eq "return: no member header" "" "$(hdr X-Backend)"
assert_eq "redirect location: status" 301 "$(req $V /old)"
assert_eq "redirect location: Location" /new "$(hdr Location)"
assert_eq "redirect location: Connection" close "$(hdr Connection)"
assert_eq "redirect scheme: status" 302 "$(req $V /secure)"
assert_eq "redirect scheme: Location" "https://127.0.0.1:$V/secure" \
    "$(hdr Location)"
assert_eq "redirect prefix (default code): status" 302 \
    "$(req $V '/v1/items?x=1')"
assert_eq "redirect prefix: Location" "/v2/v1/items?x=1" "$(hdr Location)"
assert_eq "members saw none of /ping /old /secure /v1/" 0 \
    "$(( $(seen main '/\(ping\|old\|secure\|v1/\)[^ ]*') + \
    $(seen api '/\(ping\|old\|secure\|v1/\)[^ ]*') ))"

# ---- 4. request headers and path, as the member saw them ----
assert_eq "plain request: status" 200 "$(req $V /hdr)"
assert_match "plain request: X-Edge set, X-Client %[src], no X-Debug" \
    'edge=\[edged\] client=\[127\.0\.0\.1\] debug=\[\] ' "$(body)"
len0=$(len_of)
# two X-Edge of the client's: set-header leaves one, edged's (a copy
# left would make the request longer)
req $V /hdr -H 'X-Edge: forged-one' -H 'X-Edge: forged-two' >/dev/null
assert_match "client's X-Edge twice: the member saw edged's" \
    'edge=\[edged\] ' "$(body)"
assert_eq "client's X-Edge twice: request length as without them" \
    "$len0" "$(len_of)"
# two X-Debug: del-header removes both
req $V /hdr -H 'X-Debug: 1' -H 'X-Debug: yes-again' >/dev/null
assert_match "client's X-Debug twice: the member saw none" \
    'debug=\[\] ' "$(body)"
assert_eq "client's X-Debug twice: request length as without them" \
    "$len0" "$(len_of)"
# a client's X-Client: add-header keeps it and appends one (nginx
# 1.22 shows the first; later nginx joins them)
xc='X-Client: 10.9.9.9'
req $V /hdr -H "$xc" >/dev/null
assert_match "client's X-Client kept, first" \
    'client=\[10\.9\.9\.9(, 127\.0\.0\.1)?\] ' "$(body)"
assert_eq "client's X-Client: request longer by that line only" \
    "$((len0 + ${#xc} + 2))" "$(len_of)"
# replace-path with \1; the query kept; use_backend reads the new path
assert_eq "replace-path: status" 200 "$(req $V '/old-api/users/7?q=1')"
assert_match "replace-path: api saw /api/users/7?q=1" \
    '^pool=api method=GET uri=/api/users/7\?q=1 ' "$(body)"
assert_eq "no member saw /old-api/" 0 \
    "$(( $(seen main '/old-api/[^ ]*') + $(seen api '/old-api/[^ ]*') ))"

# ---- 5. response rules ----
req $V /resp >/dev/null
assert_eq "Strict-Transport-Security: one, the rule's" "max-age=31536000" \
    "$(hdr Strict-Transport-Security)"
assert_eq "Server removed" 0 "$(hdr_count Server)"
req $VAB /resp >/dev/null
assert_match "without the rules: the member's Server" '^nginx' \
    "$(hdr Server)"
assert_eq "without the rules: the member's Strict-Transport-Security" \
    "max-age=1" "$(hdr Strict-Transport-Security)"
assert_eq "set-status: 404 becomes 418" 418 "$(req $V /missing)"
assert_eq "set-status: the member's body kept" missing "$(body)"
assert_eq "a 200 stays 200" 200 "$(req $V /not-missing)"
assert_eq "response deny (X-Leak): status" 502 "$(req $V /leak)"
assert_no_match "response deny: the member's body not sent" leaked "$(body)"
assert_eq "response deny: X-Leak not sent" 0 "$(hdr_count X-Leak)"
assert_eq "the member did answer /leak" 1 "$(seen main /leak)"

# ---- 4b. tarpit: held for timeout tarpit, then answered ----
t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 \
    "http://127.0.0.1:$V/trap")
assert_eq "tarpit: deny_status" 503 "${t%% *}"
assert_eq "tarpit: held at least timeout tarpit (400ms)" 1 \
    "$(awk -v s="${t#* }" 'BEGIN { print (s >= 0.35) }')"
assert_eq "tarpit: the member never saw it" 0 "$(seen main /trap)"

# ---- 4c. set-var: what the request said, read by a response rule ----
assert_eq "set-var: the request's path in the response" /old-api/v \
    "$(req $V /old-api/v >/dev/null; hdr X-Asked)"

# ---- 4d. converters: in an ACL, and a map the master read ----
assert_eq "converters: an ACL on the lowered header" api \
    "$(req $V /anything -H 'X-Route: API:v2' >/dev/null; hdr X-Backend)"
assert_eq "converters: not when the field differs" main \
    "$(req $V /anything -H 'X-Route: APIv2' >/dev/null; hdr X-Backend)"
assert_eq "converters: map hit, then upper" MOVED \
    "$(req $V /old-api/v >/dev/null; hdr X-Map)"
assert_eq "converters: map miss gives the default" NONE \
    "$(req $V /other >/dev/null; hdr X-Map)"

# ---- 5a. return ... file: the body the master read ----
assert_eq "return file: status" 503 "$(req $V /maint)"
assert_eq "return file: the file's bytes" "$(cat "$T/maint.html")" "$(body)"
assert_eq "return file: its type" "text/html" "$(hdr Content-Type)"

# ---- 5b. an NSX-era line: read as the modern one, with a warning ----
assert_match "edged -t: rspadd's warning gives the modern line" \
    "warning: 'rspadd' was removed from HAProxy in 2\\.1; edged reads this line as: http-response add-header X-Nsx yes if \\{ status 200 \\}" \
    "$(cat "$T/edged-check.log")"
assert_eq "rspadd: the header added" yes "$(req $V /nsx >/dev/null; hdr X-Nsx)"
assert_eq "rspadd: not where its condition fails (404, made 418)" "" \
    "$(req $V /missing >/dev/null; hdr X-Nsx)"

# ---- 6. two rule blocks, in the order `rules` gives ----
assert_eq "rules a b: a's deny first" 451 "$(req $VAB /both)"
assert_eq "rules b a: b's deny first" 452 "$(req $VBA /both)"
assert_eq "rules a b: b's return after a's rules" 200 "$(req $VAB /only-b)"
assert_eq "rules a b: b's return body" from-b "$(body)"
req $VAB /order >/dev/null
assert_match "rules a b: b's set-header last" 'edge=\[from-b\] ' "$(body)"
req $VBA /order >/dev/null
assert_match "rules b a: a's set-header last" 'edge=\[from-a\] ' "$(body)"

# ---- 7. edged -t refuses; a bad reload changes nothing ----
# pos_of FILE TEXT: "LINE:COL" where TEXT first appears in FILE
pos_of() {
	awk -v s="$2" 'i = index($0, s) { print NR ":" i; exit }' "$1"
}
# refused NAME WHAT MARK REGEX: writes $T/NAME.conf (the variables set
# by the caller), expects edged -t to refuse it with an error at the line
# of MARK whose message matches REGEX
refused() {
	local f=$T/$1.conf rc=0 line
	write_conf >"$f"
	line=$(pos_of "$f" "$3")
	line=${line%%:*}
	[ -n "$line" ] || fail "test setup: '$3' not in $f"
	"$EDGED" -t -c "$f" >"$T/$1.out" 2>"$T/$1.err" || rc=$?
	assert_ne "edged -t, $2: exit status" 0 "$rc"
	assert_match "edged -t, $2: error at $f:$line" \
	    "^$f:$line:[0-9]+: error: .*$4" "$(cat "$T/$1.err")"
}
PLANT='    tcp-request content reject' \
    refused unknown "an unknown keyword" tcp-request "tcp-request"
P=$(pos_of "$T/unknown.conf" tcp-request)
assert_match "edged -t, an unknown keyword: its column" \
    "^$T/unknown.conf:$P: error: .*'tcp-request'" "$(cat "$T/unknown.err")"
PLANT='    use_backend nopool if { path /nowhere }' \
    refused nopool "use_backend to no such pool" nopool "nopool"
PLANT='    http-request replace-path ^/(unclosed /x' \
    refused regex "a bad regex" unclosed "regex"
PLANT="    acl gone src -f $T/no-such-list.txt" \
    refused nofile "a missing -f file" no-such-list "no-such-list\\.txt"
WWW_RULES='www nosuch' \
    refused norules "rules naming no block" 'rules www nosuch' "nosuch"
assert_eq "edged -t, the configuration running: accepted" 0 \
    "$("$EDGED" -t -c "$F" >/dev/null 2>&1; echo $?)"

WPID=$(edged_worker_pid)
# old_rules_serve WHEN: the rules first loaded still in force
old_rules_serve() {
	assert_eq "$1: /ping" pong "$(req $V /ping >/dev/null; body)"
	assert_eq "$1: /rpc/x goes to main" main \
	    "$(req $V /rpc/x >/dev/null; hdr X-Backend)"
	assert_eq "$1: /api/x goes to api" api \
	    "$(req $V /api/x >/dev/null; hdr X-Backend)"
	assert_eq "$1: 127.0.0.1 still blocked" 403 "$(req $VB /blocked)"
}
# the bad file would change /ping, is_api and the pattern file
cp "$T/blocklist.txt" "$T/blocklist.old"
printf '10.20.30.40\n' >"$T/blocklist.txt"
PONG=pong-v2 API_PATHS='/api/ /rpc/' \
    PLANT='    http-request do-resolve(txn.ip,dns) hdr(host) if { path /slow }' \
    write_conf >"$F"
P=$(pos_of "$F" do-resolve)
rc=0
ctl reload >"$T/reload.out" 2>"$T/reload.err" || rc=$?
assert_ne "reload with a bad rule: exit status" 0 "$rc"
assert_match "reload with a bad rule: the error at $P" \
    "^$F:${P%%:*}:[0-9]+: error: .*do-resolve" "$(cat "$T/reload.err")"
assert_no_match "reload with a bad rule: not said reloaded" \
    'configuration reloaded' "$(cat "$T/reload.out" "$T/reload.err")"
assert_eq "reload with a bad rule: worker pid" "$WPID" "$(edged_worker_pid)"
old_rules_serve "after the refused reload"

# ---- hits: each rule counts the times it ran; a reload keeps the count
# of a line it leaves unchanged, and starts a changed line at 0 ----
# hits_of TEXT: the HITS column of www's rule whose text holds TEXT
hits_of() {
	ctl show rules www | awk -v r="$1" 'index($0, r) { print $4; exit }'
}
SET_HITS=$(hits_of 'http-request set-header X-Edge edged')
PING_HITS=$(hits_of 'string "pong" if { path /ping }')
assert_ge "hits: set-header ran" "$SET_HITS" 1
assert_ge "hits: /ping's return ran" "$PING_HITS" 1
assert_match "show rules: an unknown virtual server" \
    "no virtual-server 'ww'; did you mean 'www'" \
    "$(ctl show rules ww 2>&1)"
assert_eq "show rules --json: the rules of ab, in order" \
    "a a b b b" "$(ctl show rules ab --json | "$PY" -c '
import json, sys
print(" ".join(r["rules"] for r in json.load(sys.stdin)["rules"]))')"

# the good file: /ping's body, is_api and the pattern file changed
PONG=pong-v2 API_PATHS='/api/ /rpc/' write_conf >"$F"
rc=0
ctl reload >"$T/reload.out" 2>"$T/reload.err" || rc=$?
assert_eq "good reload: exit status" 0 "$rc"
assert_eq "good reload: answer" "configuration reloaded" \
    "$(cat "$T/reload.out" "$T/reload.err")"
edged_wait_ready "$WPID"
assert_eq "after the reload: /ping" pong-v2 "$(req $V /ping >/dev/null; body)"
assert_eq "after the reload: /rpc/x goes to api" api \
    "$(req $V /rpc/x >/dev/null; hdr X-Backend)"
assert_eq "after the reload: /api/x goes to api" api \
    "$(req $V /api/x >/dev/null; hdr X-Backend)"
assert_eq "after the reload: 127.0.0.1 no longer in the -f file" 200 \
    "$(req $VB /unblocked)"
assert_eq "after the reload: the bad agent still denied (||)" 403 \
    "$(req $VB /unblocked -A sqlmap/1.0)"

# /ping's return comes before set-header: /rpc/x and /api/x ran it
assert_eq "hits: kept across the reload (line unchanged)" \
    $((SET_HITS + 2)) "$(hits_of 'http-request set-header X-Edge edged')"
assert_eq "hits: a changed line starts again" 1 \
    "$(hits_of 'string "pong-v2" if { path /ping }')"

# ---- 8. edged -T ----
rc=0
"$EDGED" -T -c "$F" >"$T/printed.conf" 2>"$T/printed.err" || rc=$?
assert_eq "edged -T: exit status" 0 "$rc"
# printed_has LINE: LINE is a line of what -T printed (indentation aside)
printed_has() {
	sed 's/^[[:space:]]*//' "$T/printed.conf" | grep -qxF -- "$1" ||
	    check_failed "edged -T: no line '$1' in: $(cat "$T/printed.conf")"
}
printed_has 'application-rule www {'
printed_has 'acl bad_agent hdr_sub(user-agent) -i sqlmap nikto'
printed_has "acl blocked src -f $T/blocklist.txt"
printed_has 'http-request deny if bad_agent || blocked'
printed_has 'http-request return status 200 content-type text/plain string "pong-v2" if { path /ping }'
printed_has 'http-request replace-path ^/old-api/(.*)$ /api/\1'
printed_has 'http-response set-header Strict-Transport-Security "max-age=31536000"'
printed_has 'http-response deny if { res.hdr(X-Leak) -m found }'
printed_has 'http-response add-header X-Nsx yes if { status 200 }'
assert_match "edged -T: virtual server ab's rules in order" \
    '^[[:space:]]*rules a b$' "$(cat "$T/printed.conf")"
rc=0
"$EDGED" -t -c "$T/printed.conf" >"$T/printed-check.out" 2>&1 || rc=$?
assert_eq "edged -t on what -T printed: exit status" 0 "$rc"
"$EDGED" -T -c "$T/printed.conf" >"$T/printed2.conf" 2>&1 || true
assert_eq "edged -T on what -T printed: the same again" "" \
    "$(diff "$T/printed.conf" "$T/printed2.conf" | head -5)"

kill -0 "$EDGED_PID" 2>/dev/null || fail "edged died"
pass
