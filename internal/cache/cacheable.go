package cache

import (
	"strings"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/sqlparse"
)

// Reason codes: why a statement is not served from the cache. A code is
// a metric label (few values); the detail names the function, table or
// rule.
const (
	ReasonNotRead       = "not a read-only select"
	ReasonSeveral       = "several statements"
	ReasonUnparsed      = "not parsed"
	ReasonVolatile      = "volatile function"
	ReasonUnknownFunc   = "function not known to be immutable"
	ReasonLocking       = "row locks"
	ReasonSelectInto    = "select into"
	ReasonCatalog       = "system catalog"
	ReasonVariable      = "session variable"
	ReasonTxWrote       = "transaction wrote"
	ReasonTemp          = "temporary table in session"
	ReasonReadYourWrite = "read your writes"
	ReasonRule          = "rule never"
	ReasonFeed          = "change feed behind"
	ReasonNoText        = "no text"
	ReasonUnused        = "not used by the protocol"
	ReasonInFlight      = "concurrent fill timed out"
	ReasonTooLarge      = "result too large"
	ReasonStale         = "table changed during the run"
	ReasonFailed        = "statement failed"
	ReasonInTx          = "inside a transaction"
)

// Reason is why a statement is not cached ("" Code: it may be).
type Reason struct {
	Code   string `json:"code,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// OK reports whether the statement may be cached.
func (r Reason) OK() bool { return r.Code == "" }

func (r Reason) String() string {
	if r.Detail == "" {
		return r.Code
	}
	return r.Code + ": " + r.Detail
}

// volatile are functions whose result changes from one call to the next
// or with the session or the clock, by dialect (lower case).
var volatilePG = words(`now statement_timestamp transaction_timestamp clock_timestamp timeofday age
random random_normal setseed nextval currval lastval setval gen_random_uuid uuid_generate_v1
uuid_generate_v1mc uuid_generate_v4 uuidv4 uuidv7 pg_sleep pg_sleep_for pg_sleep_until
txid_current txid_current_if_assigned txid_current_snapshot pg_current_xact_id
pg_current_xact_id_if_assigned pg_current_snapshot pg_backend_pid inet_client_addr
inet_client_port inet_server_addr inet_server_port current_setting set_config pg_notify
pg_advisory_lock pg_try_advisory_lock pg_advisory_xact_lock pg_try_advisory_xact_lock
pg_postmaster_start_time pg_conf_load_time pg_read_file pg_read_binary_file pg_ls_dir
pg_stat_file dblink lo_import lo_export lo_get lo_open current_database current_schema
current_schemas current_user session_user current_role current_query pg_is_in_recovery
pg_last_wal_replay_lsn pg_current_wal_lsn txid_snapshot_xmin pg_my_temp_schema
has_table_privilege has_column_privilege has_schema_privilege has_database_privilege
has_function_privilege pg_has_role row_security_active`)

var volatileMy = words(`now current_timestamp current_date current_time curdate curtime localtime
localtimestamp sysdate unix_timestamp utc_date utc_time utc_timestamp rand uuid uuid_short sys_guid
last_insert_id row_count found_rows connection_id current_user user session_user system_user
current_role database schema sleep benchmark get_lock release_lock release_all_locks is_free_lock
is_used_lock master_pos_wait master_gtid_wait nextval lastval setval load_file
roles_graphml default get_format_exception last_value`)

// immutable are functions known to give the same result for the same
// arguments and session settings (the settings are part of the key).
var immutable = words(`count sum avg min max lower upper length char_length character_length
octet_length bit_length substr substring trim ltrim rtrim btrim concat concat_ws coalesce nullif
greatest least abs round floor ceil ceiling mod power pow sqrt exp ln log log2 log10 sign trunc
truncate replace left right lpad rpad reverse repeat position strpos split_part md5 sha1 sha2
sha224 sha256 sha384 sha512 encode decode to_char to_number to_date to_timestamp date_trunc
date_part extract string_agg array_agg json_agg jsonb_agg json_object_agg jsonb_object_agg
json_build_object jsonb_build_object json_build_array jsonb_build_array row_to_json to_json
to_jsonb jsonb_extract_path json_extract_path jsonb_extract_path_text json_extract_path_text
json_extract json_object json_array json_arrayagg json_objectagg json_unquote json_length
json_contains json_keys json_value json_query jsonb_array_length json_array_length
jsonb_typeof json_typeof group_concat bool_and bool_or every stddev variance stddev_pop
stddev_samp var_pop var_samp percentile_cont percentile_disc mode rank dense_rank row_number
ntile lag lead first_value nth_value cume_dist percent_rank generate_series unnest
array_length array_upper array_lower cardinality array_to_string string_to_array
array_position array_positions array_append array_prepend array_cat array_remove
format initcap ascii chr char hex unhex if ifnull isnull nvl nvl2 date_format date_add
date_sub adddate subdate datediff timestampdiff timestampadd timediff addtime subtime year month
day dayofweek dayofmonth dayofyear dayname monthname hour minute second microsecond week
weekday weekofyear yearweek quarter last_day from_unixtime from_days to_days to_seconds
str_to_date makedate maketime make_date make_time make_timestamp make_interval convert cast
locate instr field find_in_set elt lcase ucase mid space strcmp regexp_replace regexp_like
regexp_substr regexp_instr regexp_matches regexp_match regexp_split_to_array
regexp_split_to_table bit_and bit_or bit_xor bit_count crc32 conv bin oct pi radians degrees
sin cos tan asin acos atan atan2 cot div num_nulls num_nonnulls width_bucket any_value
to_hex quote_ident quote_literal quote_nullable translate starts_with char_octet_length
date time timestamp interval numeric int int4 int8 text varchar bool float8 float4 bigint
box point lseg circle area center width height st_distance st_astext st_x st_y
json_pretty json_quote json_search json_depth json_valid json_type json_merge_patch
json_merge_preserve json_set json_insert json_replace json_remove json_array_append
jsonb_set jsonb_insert jsonb_pretty jsonb_strip_nulls jsonb_each jsonb_each_text
jsonb_object_keys json_each json_each_text json_object_keys jsonb_array_elements
json_array_elements jsonb_array_elements_text json_array_elements_text jsonb_path_query
jsonb_path_exists array_dims to_tsvector to_tsquery plainto_tsquery ts_rank ts_headline
websearch_to_tsquery phraseto_tsquery setweight similarity levenshtein soundex
difference metaphone inet_aton inet_ntoa inet6_aton inet6_ntoa host masklen network
family abbrev broadcast netmask hostmask version isfinite justify_days justify_hours
justify_interval overlay octet_length initcap sign unaccent`)

// volatileWords are bare words that read the clock, the session or
// chance without a function call's parentheses (PostgreSQL's SQL value
// functions, sampling), by dialect.
var volatileWordsPG = words(`current_timestamp current_time current_date localtime localtimestamp
current_user session_user current_role user current_catalog current_schema tablesample`)

var volatileWordsMy = words(`current_timestamp current_time current_date localtime localtimestamp
current_user sql_calc_found_rows`)

// catalogs are schemas of system catalogs, by dialect.
var catalogsPG = words(`pg_catalog information_schema pg_toast`)
var catalogsMy = words(`information_schema mysql performance_schema sys`)

func words(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// Explain says whether the statement of a may be cached by what its
// text alone shows (the session's state is the stage's): one read-only
// SELECT, no volatile or unknown function, no row locks, no SELECT …
// INTO, no system catalog, no session variables.
func Explain(a *analysis.Analysis) Reason {
	if a == nil {
		return Reason{Code: ReasonNoText}
	}
	stmts, err := a.Statements()
	if err != nil {
		return Reason{Code: ReasonUnparsed, Detail: err.Error()}
	}
	if len(stmts) != 1 {
		if len(stmts) == 0 {
			return Reason{Code: ReasonNotRead, Detail: "empty"}
		}
		return Reason{Code: ReasonSeveral, Detail: "one SELECT at a time is cached"}
	}
	s := &stmts[0]
	my := a.Dialect() == analysis.MySQL
	switch {
	case s.SelectInto:
		return Reason{Code: ReasonSelectInto}
	case s.Locking:
		return Reason{Code: ReasonLocking, Detail: "FOR UPDATE/SHARE, LOCK IN SHARE MODE"}
	case s.FileAccess:
		return Reason{Code: ReasonNotRead, Detail: "file access"}
	case s.Kind != sqlparse.KindSelect || (s.Node != "SelectStmt" && s.Node != "SetOprStmt"):
		return Reason{Code: ReasonNotRead, Detail: strings.ToLower(s.Node)}
	}
	for _, t := range s.Tables {
		if t.Action != sqlparse.ActionRead {
			return Reason{Code: ReasonNotRead, Detail: "writes " + t.String()}
		}
		if r := catalog(my, t); r != "" {
			return Reason{Code: ReasonCatalog, Detail: r}
		}
	}
	vol := volatilePG
	if my {
		vol = volatileMy
	}
	for _, f := range s.Functions {
		name := strings.TrimPrefix(f, "pg_catalog.")
		switch {
		case vol[name]:
			return Reason{Code: ReasonVolatile, Detail: name}
		case !immutable[name]:
			return Reason{Code: ReasonUnknownFunc, Detail: f}
		}
	}
	if r := lexical(a.Text, my); !r.OK() {
		return r
	}
	if c := a.Class(); !c.Read {
		return Reason{Code: ReasonNotRead, Detail: c.Why}
	}
	return Reason{}
}

// catalog names the system catalog t is in ("" none).
func catalog(my bool, t sqlparse.Table) string {
	schema, name := strings.ToLower(t.Schema), strings.ToLower(t.Name)
	if my {
		if catalogsMy[schema] {
			return t.String()
		}
		return ""
	}
	if catalogsPG[schema] || (schema == "" && strings.HasPrefix(name, "pg_")) || strings.HasPrefix(schema, "pg_temp") {
		return t.String()
	}
	return ""
}

// lexical finds what the parse does not list as a function: SQL value
// functions (CURRENT_TIMESTAMP, CURRENT_USER) and MySQL user or system
// variables (@x, @@x), outside strings, quoted names and comments.
func lexical(sql string, my bool) Reason {
	vw := volatileWordsPG
	if my {
		vw = volatileWordsMy
	}
	var found Reason
	scan(sql, my, func(word string, at bool) bool {
		if !my && (isOpChar(word[0]) || word == "operator(") {
			// An operator runs a function: a user's operator may be
			// volatile or read tables the cache cannot see, as a
			// user's function may.
			if !builtinOpsPG[word] {
				d := "operator " + word
				if word == "operator(" {
					d = "OPERATOR(schema.op)"
				}
				found = Reason{Code: ReasonUnknownFunc, Detail: d}
				return false
			}
			return true
		}
		if at {
			found = Reason{Code: ReasonVariable, Detail: word}
			return false
		}
		if vw[word] {
			found = Reason{Code: ReasonVolatile, Detail: word}
			return false
		}
		return true
	})
	return found
}

// scan calls f with each bare word of sql in lower case (at: a variable
// with its @ or @@, MySQL only), skipping strings, quoted names and comments, until
// f returns false.
func scan(sql string, my bool, f func(word string, at bool) bool) {
	n := len(sql)
	for i := 0; i < n; {
		c := sql[i]
		switch {
		case c == '-' && i+1 < n && sql[i+1] == '-', my && c == '#':
			for i < n && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && sql[i+1] == '*':
			if my && i+2 < n && (sql[i+2] == '!' || sql[i+2] == 'M') {
				// An executable comment is code.
				i += 3
				continue
			}
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				return
			}
			i += j + 4
		case c == '\'' || c == '"' || c == '`':
			i = skipQuoted(sql, i, c, my && c != '`')
		case !my && c == '$':
			j := i + 1
			for j < n && (isWord(sql[j]) && !(sql[j] >= '0' && sql[j] <= '9' && j == i+1)) {
				j++
			}
			if j < n && sql[j] == '$' {
				tag := sql[i : j+1]
				k := strings.Index(sql[j+1:], tag)
				if k < 0 {
					return
				}
				i = j + 1 + k + len(tag)
			} else {
				i = j
			}
		case my && c == '@':
			j := i + 1
			for j < n && sql[j] == '@' {
				j++
			}
			k := j
			for k < n && (isWord(sql[k]) || sql[k] == '.') {
				k++
			}
			if !f(strings.ToLower(sql[i:k]), true) {
				return
			}
			i = k
		case !my && isOpChar(c):
			j := opEnd(sql, i)
			if !f(sql[i:j], false) {
				return
			}
			i = j
		case isWord(c):
			j := i
			for j < n && isWord(sql[j]) {
				j++
			}
			w := strings.ToLower(sql[i:j])
			if !my && w == "operator" && (i == 0 || sql[i-1] != '.') {
				k := j
				for k < n && (sql[k] == ' ' || sql[k] == '\t' || sql[k] == '\n' || sql[k] == '\r') {
					k++
				}
				if k < n && sql[k] == '(' {
					// OPERATOR(schema.op): an operator named by its
					// schema, which may be a user's.
					w = "operator("
				}
			}
			// A word right after a dot is a qualified name's part.
			if (i == 0 || sql[i-1] != '.') && !f(w, false) {
				return
			}
			i = j
		default:
			i++
		}
	}
}

// opCharsPG are the characters of PostgreSQL operator names.
const opCharsPG = "+-*/<>=~!@#%^&|`?"

func isOpChar(c byte) bool { return strings.IndexByte(opCharsPG, c) >= 0 }

// opEnd is the end of the operator that starts at sql[i], as
// PostgreSQL's lexer reads it: it stops before a comment, and a name of
// several characters loses its trailing + and - unless it holds one of
// ~ ! @ # % ^ & | ` ?.
func opEnd(sql string, i int) int {
	j := i
	for j < len(sql) && isOpChar(sql[j]) {
		if j > i && (strings.HasPrefix(sql[j:], "--") || strings.HasPrefix(sql[j:], "/*")) {
			break
		}
		j++
	}
	if j-i > 1 && !strings.ContainsAny(sql[i:j], "~!@#%^&|`?") {
		for j-i > 1 && (sql[j-1] == '+' || sql[j-1] == '-') {
			j--
		}
	}
	return j
}

// builtinOpsPG are PostgreSQL's own operator names. Any other name is a
// user's operator (and OPERATOR(schema.op) may name one): not cached.
var builtinOpsPG = words(`= <> != < > <= >= + - * / % ^ || |/ ||/ @ & | # ~ << >> ~~ ~~* !~~ !~~*
~* !~ !~* @> <@ && -> ->> #> #>> #- ? ?| ?& @? @@ @@@ <-> <<= >>= -|- &< &> <<| |>> &<| |&>
<^ >^ ?# ?- ?-| ?|| ## ~=`)

func skipQuoted(sql string, i int, q byte, backslash bool) int {
	n := len(sql)
	if !backslash && q == '\'' && i > 0 && (sql[i-1] == 'e' || sql[i-1] == 'E') {
		backslash = true
	}
	for j := i + 1; j < n; j++ {
		switch sql[j] {
		case '\\':
			if backslash {
				j++
			}
		case q:
			if j+1 < n && sql[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return n
}

func isWord(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80
}
