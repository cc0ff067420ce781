package catalog

// The relations of the emulated pg_catalog and information_schema for
// PostgreSQL sessions, with PostgreSQL 15's column names. Types: INTEGER
// (int8 on the wire), TEXT, BOOLEAN, REAL; arrays are TEXT ARRAY (JSON
// arrays, as the PostgreSQL translation prints arrays, which the engine
// shows in PostgreSQL's array text; int2vector and oidvector are TEXT as
// PostgreSQL writes them, '1 2').

type relation struct {
	name string
	cols string
}

var pgCatalog = []relation{
	{"pg_namespace", "oid INTEGER, nspname TEXT, nspowner INTEGER, nspacl TEXT ARRAY"},
	{"pg_class", `oid INTEGER, relname TEXT, relnamespace INTEGER, reltype INTEGER, reloftype INTEGER, relowner INTEGER,
		relam INTEGER, relfilenode INTEGER, reltablespace INTEGER, relpages INTEGER, reltuples REAL, relallvisible INTEGER,
		reltoastrelid INTEGER, relhasindex BOOLEAN, relisshared BOOLEAN, relpersistence TEXT, relkind TEXT, relnatts INTEGER,
		relchecks INTEGER, relhasrules BOOLEAN, relhastriggers BOOLEAN, relhassubclass BOOLEAN, relrowsecurity BOOLEAN,
		relforcerowsecurity BOOLEAN, relispopulated BOOLEAN, relreplident TEXT, relispartition BOOLEAN, relrewrite INTEGER,
		relfrozenxid INTEGER, relminmxid INTEGER, relacl TEXT ARRAY, reloptions TEXT ARRAY, relpartbound TEXT`},
	{"pg_attribute", `attrelid INTEGER, attname TEXT, atttypid INTEGER, attstattarget INTEGER, attlen INTEGER, attnum INTEGER,
		attndims INTEGER, attcacheoff INTEGER, atttypmod INTEGER, attbyval BOOLEAN, attalign TEXT, attstorage TEXT,
		attcompression TEXT, attnotnull BOOLEAN, atthasdef BOOLEAN, atthasmissing BOOLEAN, attidentity TEXT,
		attgenerated TEXT, attisdropped BOOLEAN, attislocal BOOLEAN, attinhcount INTEGER, attcollation INTEGER,
		attacl TEXT ARRAY, attoptions TEXT ARRAY, attfdwoptions TEXT ARRAY, attmissingval TEXT`},
	{"pg_attrdef", "oid INTEGER, adrelid INTEGER, adnum INTEGER, adbin TEXT"},
	{"pg_type", `oid INTEGER, typname TEXT, typnamespace INTEGER, typowner INTEGER, typlen INTEGER, typbyval BOOLEAN,
		typtype TEXT, typcategory TEXT, typispreferred BOOLEAN, typisdefined BOOLEAN, typdelim TEXT, typrelid INTEGER,
		typsubscript TEXT, typelem INTEGER, typarray INTEGER, typinput TEXT, typoutput TEXT, typreceive TEXT, typsend TEXT,
		typmodin TEXT, typmodout TEXT, typanalyze TEXT, typalign TEXT, typstorage TEXT, typnotnull BOOLEAN,
		typbasetype INTEGER, typtypmod INTEGER, typndims INTEGER, typcollation INTEGER, typdefaultbin TEXT,
		typdefault TEXT, typacl TEXT ARRAY`},
	{"pg_index", `indexrelid INTEGER, indrelid INTEGER, indnatts INTEGER, indnkeyatts INTEGER, indisunique BOOLEAN,
		indnullsnotdistinct BOOLEAN, indisprimary BOOLEAN, indisexclusion BOOLEAN, indimmediate BOOLEAN,
		indisclustered BOOLEAN, indisvalid BOOLEAN, indcheckxmin BOOLEAN, indisready BOOLEAN, indislive BOOLEAN,
		indisreplident BOOLEAN, indkey TEXT, indcollation TEXT, indclass TEXT, indoption TEXT, indexprs TEXT, indpred TEXT`},
	{"pg_constraint", `oid INTEGER, conname TEXT, connamespace INTEGER, contype TEXT, condeferrable BOOLEAN,
		condeferred BOOLEAN, convalidated BOOLEAN, conrelid INTEGER, contypid INTEGER, conindid INTEGER,
		conparentid INTEGER, confrelid INTEGER, confupdtype TEXT, confdeltype TEXT, confmatchtype TEXT,
		conislocal BOOLEAN, coninhcount INTEGER, connoinherit BOOLEAN, conkey TEXT ARRAY, confkey TEXT ARRAY, conpfeqop TEXT ARRAY,
		conppeqop TEXT ARRAY, conffeqop TEXT ARRAY, confdelsetcols TEXT ARRAY, conexclop TEXT ARRAY, conbin TEXT`},
	{"pg_database", `oid INTEGER, datname TEXT, datdba INTEGER, encoding INTEGER, datlocprovider TEXT,
		datistemplate BOOLEAN, datallowconn BOOLEAN, datconnlimit INTEGER, datfrozenxid INTEGER, datminmxid INTEGER,
		dattablespace INTEGER, datcollate TEXT, datctype TEXT, daticulocale TEXT, datcollversion TEXT, datacl TEXT ARRAY`},
	{"pg_authid", `oid INTEGER, rolname TEXT, rolsuper BOOLEAN, rolinherit BOOLEAN, rolcreaterole BOOLEAN,
		rolcreatedb BOOLEAN, rolcanlogin BOOLEAN, rolreplication BOOLEAN, rolbypassrls BOOLEAN, rolconnlimit INTEGER,
		rolpassword TEXT, rolvaliduntil TEXT`},
	{"pg_roles", `rolname TEXT, rolsuper BOOLEAN, rolinherit BOOLEAN, rolcreaterole BOOLEAN, rolcreatedb BOOLEAN,
		rolcanlogin BOOLEAN, rolreplication BOOLEAN, rolconnlimit INTEGER, rolpassword TEXT, rolvaliduntil TEXT,
		rolbypassrls BOOLEAN, rolconfig TEXT ARRAY, oid INTEGER`},
	{"pg_user", `usename TEXT, usesysid INTEGER, usecreatedb BOOLEAN, usesuper BOOLEAN, userepl BOOLEAN,
		usebypassrls BOOLEAN, passwd TEXT, valuntil TEXT, useconfig TEXT ARRAY`},
	{"pg_auth_members", "roleid INTEGER, member INTEGER, grantor INTEGER, admin_option BOOLEAN"},
	{"pg_proc", `oid INTEGER, proname TEXT, pronamespace INTEGER, proowner INTEGER, prolang INTEGER, procost REAL,
		prorows REAL, provariadic INTEGER, prosupport TEXT, prokind TEXT, prosecdef BOOLEAN, proleakproof BOOLEAN,
		proisstrict BOOLEAN, proretset BOOLEAN, provolatile TEXT, proparallel TEXT, pronargs INTEGER,
		pronargdefaults INTEGER, prorettype INTEGER, proargtypes TEXT, proallargtypes TEXT ARRAY, proargmodes TEXT ARRAY,
		proargnames TEXT ARRAY, proargdefaults TEXT, protrftypes TEXT, prosrc TEXT, probin TEXT, prosqlbody TEXT,
		proconfig TEXT ARRAY, proacl TEXT ARRAY`},
	{"pg_language", "oid INTEGER, lanname TEXT, lanowner INTEGER, lanispl BOOLEAN, lanpltrusted BOOLEAN, lanplcallfoid INTEGER, laninline INTEGER, lanvalidator INTEGER, lanacl TEXT ARRAY"},
	{"pg_am", "oid INTEGER, amname TEXT, amhandler TEXT, amtype TEXT"},
	{"pg_opclass", "oid INTEGER, opcmethod INTEGER, opcname TEXT, opcnamespace INTEGER, opcowner INTEGER, opcfamily INTEGER, opcintype INTEGER, opcdefault BOOLEAN, opckeytype INTEGER"},
	{"pg_description", "objoid INTEGER, classoid INTEGER, objsubid INTEGER, description TEXT"},
	{"pg_shdescription", "objoid INTEGER, classoid INTEGER, description TEXT"},
	{"pg_inherits", "inhrelid INTEGER, inhparent INTEGER, inhseqno INTEGER, inhdetachpending BOOLEAN"},
	{"pg_trigger", `oid INTEGER, tgrelid INTEGER, tgparentid INTEGER, tgname TEXT, tgfoid INTEGER, tgtype INTEGER,
		tgenabled TEXT, tgisinternal BOOLEAN, tgconstrrelid INTEGER, tgconstrindid INTEGER, tgconstraint INTEGER,
		tgdeferrable BOOLEAN, tginitdeferred BOOLEAN, tgnargs INTEGER, tgattr TEXT, tgargs TEXT, tgqual TEXT,
		tgoldtable TEXT, tgnewtable TEXT`},
	{"pg_rewrite", "oid INTEGER, rulename TEXT, ev_class INTEGER, ev_type TEXT, ev_enabled TEXT, is_instead BOOLEAN, ev_qual TEXT, ev_action TEXT"},
	{"pg_policy", "oid INTEGER, polname TEXT, polrelid INTEGER, polcmd TEXT, polpermissive BOOLEAN, polroles TEXT ARRAY, polqual TEXT, polwithcheck TEXT"},
	{"pg_statistic_ext", "oid INTEGER, stxrelid INTEGER, stxname TEXT, stxnamespace INTEGER, stxowner INTEGER, stxstattarget INTEGER, stxkeys TEXT, stxkind TEXT ARRAY, stxexprs TEXT"},
	{"pg_publication", "oid INTEGER, pubname TEXT, pubowner INTEGER, puballtables BOOLEAN, pubinsert BOOLEAN, pubupdate BOOLEAN, pubdelete BOOLEAN, pubtruncate BOOLEAN, pubviaroot BOOLEAN"},
	{"pg_publication_rel", "oid INTEGER, prpubid INTEGER, prrelid INTEGER, prqual TEXT, prattrs TEXT"},
	{"pg_publication_namespace", "oid INTEGER, pnpubid INTEGER, pnnspid INTEGER"},
	{"pg_collation", `oid INTEGER, collname TEXT, collnamespace INTEGER, collowner INTEGER, collprovider TEXT,
		collisdeterministic BOOLEAN, collencoding INTEGER, collcollate TEXT, collctype TEXT, colliculocale TEXT, collversion TEXT`},
	{"pg_tablespace", "oid INTEGER, spcname TEXT, spcowner INTEGER, spcacl TEXT ARRAY, spcoptions TEXT ARRAY"},
	{"pg_settings", `name TEXT, setting TEXT, unit TEXT, category TEXT, short_desc TEXT, extra_desc TEXT, context TEXT,
		vartype TEXT, source TEXT, min_val TEXT, max_val TEXT, enumvals TEXT ARRAY, boot_val TEXT, reset_val TEXT,
		sourcefile TEXT, sourceline INTEGER, pending_restart BOOLEAN`},
	{"pg_extension", "oid INTEGER, extname TEXT, extowner INTEGER, extnamespace INTEGER, extrelocatable BOOLEAN, extversion TEXT, extconfig TEXT ARRAY, extcondition TEXT ARRAY"},
	{"pg_range", "rngtypid INTEGER, rngsubtype INTEGER, rngmultitypid INTEGER, rngcollation INTEGER, rngsubopc INTEGER, rngcanonical TEXT, rngsubdiff TEXT"},
	{"pg_enum", "oid INTEGER, enumtypid INTEGER, enumsortorder REAL, enumlabel TEXT"},
	{"pg_views", "schemaname TEXT, viewname TEXT, viewowner TEXT, definition TEXT"},
	{"pg_tables", "schemaname TEXT, tablename TEXT, tableowner TEXT, tablespace TEXT, hasindexes BOOLEAN, hasrules BOOLEAN, hastriggers BOOLEAN, rowsecurity BOOLEAN"},
	{"pg_indexes", "schemaname TEXT, tablename TEXT, indexname TEXT, tablespace TEXT, indexdef TEXT"},
	{"pg_matviews", "schemaname TEXT, matviewname TEXT, matviewowner TEXT, tablespace TEXT, hasindexes BOOLEAN, ispopulated BOOLEAN, definition TEXT"},
	{"pg_sequence", "seqrelid INTEGER, seqtypid INTEGER, seqstart INTEGER, seqincrement INTEGER, seqmax INTEGER, seqmin INTEGER, seqcache INTEGER, seqcycle BOOLEAN"},
	{"pg_sequences", "schemaname TEXT, sequencename TEXT, sequenceowner TEXT, data_type TEXT, start_value INTEGER, min_value INTEGER, max_value INTEGER, increment_by INTEGER, cycle BOOLEAN, cache_size INTEGER, last_value INTEGER"},
	{"pg_foreign_table", "ftrelid INTEGER, ftserver INTEGER, ftoptions TEXT ARRAY"},
	{"pg_foreign_server", "oid INTEGER, srvname TEXT, srvowner INTEGER, srvfdw INTEGER, srvtype TEXT, srvversion TEXT, srvacl TEXT ARRAY, srvoptions TEXT ARRAY"},
	{"pg_foreign_data_wrapper", "oid INTEGER, fdwname TEXT, fdwowner INTEGER, fdwhandler INTEGER, fdwvalidator INTEGER, fdwacl TEXT ARRAY, fdwoptions TEXT ARRAY"},
	{"pg_partitioned_table", "partrelid INTEGER, partstrat TEXT, partnatts INTEGER, partdefid INTEGER, partattrs TEXT, partclass TEXT, partcollation TEXT, partexprs TEXT"},
	{"pg_stat_activity", `datid INTEGER, datname TEXT, pid INTEGER, leader_pid INTEGER, usesysid INTEGER, usename TEXT,
		application_name TEXT, client_addr TEXT, client_hostname TEXT, client_port INTEGER, backend_start TEXT,
		xact_start TEXT, query_start TEXT, state_change TEXT, wait_event_type TEXT, wait_event TEXT, state TEXT,
		backend_xid INTEGER, backend_xmin INTEGER, query_id INTEGER, query TEXT, backend_type TEXT`},
	{"pg_event_trigger", "oid INTEGER, evtname TEXT, evtevent TEXT, evtowner INTEGER, evtfoid INTEGER, evtenabled TEXT, evttags TEXT ARRAY"},
	{"pg_operator", `oid INTEGER, oprname TEXT, oprnamespace INTEGER, oprowner INTEGER, oprkind TEXT, oprcanmerge BOOLEAN,
		oprcanhash BOOLEAN, oprleft INTEGER, oprright INTEGER, oprresult INTEGER, oprcom INTEGER, oprnegate INTEGER,
		oprcode TEXT, oprrest TEXT, oprjoin TEXT`},
	{"pg_cast", "oid INTEGER, castsource INTEGER, casttarget INTEGER, castfunc INTEGER, castcontext TEXT, castmethod TEXT"},
	{"pg_depend", "classid INTEGER, objid INTEGER, objsubid INTEGER, refclassid INTEGER, refobjid INTEGER, refobjsubid INTEGER, deptype TEXT"},
	{"pg_shdepend", "dbid INTEGER, classid INTEGER, objid INTEGER, objsubid INTEGER, refclassid INTEGER, refobjid INTEGER, deptype TEXT"},
	{"pg_conversion", "oid INTEGER, conname TEXT, connamespace INTEGER, conowner INTEGER, conforencoding INTEGER, contoencoding INTEGER, conproc TEXT, condefault BOOLEAN"},
	{"pg_locks", "locktype TEXT, database INTEGER, relation INTEGER, page INTEGER, tuple INTEGER, virtualxid TEXT, transactionid INTEGER, classid INTEGER, objid INTEGER, objsubid INTEGER, virtualtransaction TEXT, pid INTEGER, mode TEXT, granted BOOLEAN, fastpath BOOLEAN, waitstart TEXT"},
	{"pg_prepared_xacts", "transaction INTEGER, gid TEXT, prepared TEXT, owner TEXT, database TEXT"},
	{"pg_stat_user_tables", "relid INTEGER, schemaname TEXT, relname TEXT, seq_scan INTEGER, seq_tup_read INTEGER, idx_scan INTEGER, idx_tup_fetch INTEGER, n_tup_ins INTEGER, n_tup_upd INTEGER, n_tup_del INTEGER, n_live_tup INTEGER, n_dead_tup INTEGER"},
}

var pgInformationSchema = []relation{
	{"tables", `table_catalog TEXT, table_schema TEXT, table_name TEXT, table_type TEXT, self_referencing_column_name TEXT,
		reference_generation TEXT, user_defined_type_catalog TEXT, user_defined_type_schema TEXT,
		user_defined_type_name TEXT, is_insertable_into TEXT, is_typed TEXT, commit_action TEXT`},
	{"columns", `table_catalog TEXT, table_schema TEXT, table_name TEXT, column_name TEXT, ordinal_position INTEGER,
		column_default TEXT, is_nullable TEXT, data_type TEXT, character_maximum_length INTEGER,
		character_octet_length INTEGER, numeric_precision INTEGER, numeric_precision_radix INTEGER, numeric_scale INTEGER,
		datetime_precision INTEGER, interval_type TEXT, interval_precision INTEGER, character_set_catalog TEXT,
		character_set_schema TEXT, character_set_name TEXT, collation_catalog TEXT, collation_schema TEXT,
		collation_name TEXT, domain_catalog TEXT, domain_schema TEXT, domain_name TEXT, udt_catalog TEXT,
		udt_schema TEXT, udt_name TEXT, scope_catalog TEXT, scope_schema TEXT, scope_name TEXT,
		maximum_cardinality INTEGER, dtd_identifier TEXT, is_self_referencing TEXT, is_identity TEXT,
		identity_generation TEXT, identity_start TEXT, identity_increment TEXT, identity_maximum TEXT,
		identity_minimum TEXT, identity_cycle TEXT, is_generated TEXT, generation_expression TEXT, is_updatable TEXT`},
	{"schemata", `catalog_name TEXT, schema_name TEXT, schema_owner TEXT, default_character_set_catalog TEXT,
		default_character_set_schema TEXT, default_character_set_name TEXT, sql_path TEXT`},
	{"views", `table_catalog TEXT, table_schema TEXT, table_name TEXT, view_definition TEXT, check_option TEXT,
		is_updatable TEXT, is_insertable_into TEXT, is_trigger_updatable TEXT, is_trigger_deletable TEXT,
		is_trigger_insertable_into TEXT`},
	{"table_constraints", `constraint_catalog TEXT, constraint_schema TEXT, constraint_name TEXT, table_catalog TEXT,
		table_schema TEXT, table_name TEXT, constraint_type TEXT, is_deferrable TEXT, initially_deferred TEXT,
		enforced TEXT, nulls_distinct TEXT`},
	{"key_column_usage", `constraint_catalog TEXT, constraint_schema TEXT, constraint_name TEXT, table_catalog TEXT,
		table_schema TEXT, table_name TEXT, column_name TEXT, ordinal_position INTEGER, position_in_unique_constraint INTEGER`},
	{"referential_constraints", `constraint_catalog TEXT, constraint_schema TEXT, constraint_name TEXT,
		unique_constraint_catalog TEXT, unique_constraint_schema TEXT, unique_constraint_name TEXT, match_option TEXT,
		update_rule TEXT, delete_rule TEXT`},
	{"routines", `specific_catalog TEXT, specific_schema TEXT, specific_name TEXT, routine_catalog TEXT,
		routine_schema TEXT, routine_name TEXT, routine_type TEXT, data_type TEXT, routine_body TEXT,
		routine_definition TEXT, external_language TEXT, is_deterministic TEXT, security_type TEXT`},
	{"character_sets", `character_set_catalog TEXT, character_set_schema TEXT, character_set_name TEXT,
		character_repertoire TEXT, form_of_use TEXT, default_collate_catalog TEXT, default_collate_schema TEXT,
		default_collate_name TEXT`},
	{"triggers", `trigger_catalog TEXT, trigger_schema TEXT, trigger_name TEXT, event_manipulation TEXT,
		event_object_catalog TEXT, event_object_schema TEXT, event_object_table TEXT, action_order INTEGER,
		action_condition TEXT, action_statement TEXT, action_orientation TEXT, action_timing TEXT`},
	{"sequences", `sequence_catalog TEXT, sequence_schema TEXT, sequence_name TEXT, data_type TEXT, numeric_precision INTEGER,
		numeric_precision_radix INTEGER, numeric_scale INTEGER, start_value TEXT, minimum_value TEXT, maximum_value TEXT,
		increment TEXT, cycle_option TEXT`},
}

// MySQL sessions' information_schema, with MySQL 8's column names.
var myInformationSchema = []relation{
	{"TABLES", `TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT, TABLE_NAME TEXT, TABLE_TYPE TEXT, ENGINE TEXT, VERSION INTEGER,
		ROW_FORMAT TEXT, TABLE_ROWS INTEGER, AVG_ROW_LENGTH INTEGER, DATA_LENGTH INTEGER, MAX_DATA_LENGTH INTEGER,
		INDEX_LENGTH INTEGER, DATA_FREE INTEGER, AUTO_INCREMENT INTEGER, CREATE_TIME TIMESTAMP, UPDATE_TIME TIMESTAMP,
		CHECK_TIME TIMESTAMP, TABLE_COLLATION TEXT, CHECKSUM INTEGER, CREATE_OPTIONS TEXT, TABLE_COMMENT TEXT`},
	{"COLUMNS", `TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT, TABLE_NAME TEXT, COLUMN_NAME TEXT, ORDINAL_POSITION INTEGER,
		COLUMN_DEFAULT TEXT, IS_NULLABLE TEXT, DATA_TYPE TEXT, CHARACTER_MAXIMUM_LENGTH INTEGER,
		CHARACTER_OCTET_LENGTH INTEGER, NUMERIC_PRECISION INTEGER, NUMERIC_SCALE INTEGER, DATETIME_PRECISION INTEGER,
		CHARACTER_SET_NAME TEXT, COLLATION_NAME TEXT, COLUMN_TYPE TEXT, COLUMN_KEY TEXT, EXTRA TEXT, PRIVILEGES TEXT,
		COLUMN_COMMENT TEXT, GENERATION_EXPRESSION TEXT, SRS_ID INTEGER`},
	{"STATISTICS", `TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT, TABLE_NAME TEXT, NON_UNIQUE INTEGER, INDEX_SCHEMA TEXT,
		INDEX_NAME TEXT, SEQ_IN_INDEX INTEGER, COLUMN_NAME TEXT, COLLATION TEXT, CARDINALITY INTEGER, SUB_PART INTEGER,
		PACKED TEXT, NULLABLE TEXT, INDEX_TYPE TEXT, COMMENT TEXT, INDEX_COMMENT TEXT, IS_VISIBLE TEXT, EXPRESSION TEXT`},
	{"KEY_COLUMN_USAGE", `CONSTRAINT_CATALOG TEXT, CONSTRAINT_SCHEMA TEXT, CONSTRAINT_NAME TEXT, TABLE_CATALOG TEXT,
		TABLE_SCHEMA TEXT, TABLE_NAME TEXT, COLUMN_NAME TEXT, ORDINAL_POSITION INTEGER,
		POSITION_IN_UNIQUE_CONSTRAINT INTEGER, REFERENCED_TABLE_SCHEMA TEXT, REFERENCED_TABLE_NAME TEXT,
		REFERENCED_COLUMN_NAME TEXT`},
	{"TABLE_CONSTRAINTS", `CONSTRAINT_CATALOG TEXT, CONSTRAINT_SCHEMA TEXT, CONSTRAINT_NAME TEXT, TABLE_SCHEMA TEXT,
		TABLE_NAME TEXT, CONSTRAINT_TYPE TEXT, ENFORCED TEXT`},
	{"REFERENTIAL_CONSTRAINTS", `CONSTRAINT_CATALOG TEXT, CONSTRAINT_SCHEMA TEXT, CONSTRAINT_NAME TEXT,
		UNIQUE_CONSTRAINT_CATALOG TEXT, UNIQUE_CONSTRAINT_SCHEMA TEXT, UNIQUE_CONSTRAINT_NAME TEXT, MATCH_OPTION TEXT,
		UPDATE_RULE TEXT, DELETE_RULE TEXT, TABLE_NAME TEXT, REFERENCED_TABLE_NAME TEXT`},
	{"SCHEMATA", `CATALOG_NAME TEXT, SCHEMA_NAME TEXT, DEFAULT_CHARACTER_SET_NAME TEXT, DEFAULT_COLLATION_NAME TEXT,
		SQL_PATH TEXT, DEFAULT_ENCRYPTION TEXT`},
	{"ROUTINES", `SPECIFIC_NAME TEXT, ROUTINE_CATALOG TEXT, ROUTINE_SCHEMA TEXT, ROUTINE_NAME TEXT, ROUTINE_TYPE TEXT,
		DATA_TYPE TEXT, ROUTINE_BODY TEXT, ROUTINE_DEFINITION TEXT, EXTERNAL_LANGUAGE TEXT, IS_DETERMINISTIC TEXT,
		SQL_DATA_ACCESS TEXT, SECURITY_TYPE TEXT, CREATED TIMESTAMP, LAST_ALTERED TIMESTAMP, SQL_MODE TEXT,
		ROUTINE_COMMENT TEXT, DEFINER TEXT`},
	{"VIEWS", `TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT, TABLE_NAME TEXT, VIEW_DEFINITION TEXT, CHECK_OPTION TEXT,
		IS_UPDATABLE TEXT, DEFINER TEXT, SECURITY_TYPE TEXT, CHARACTER_SET_CLIENT TEXT, COLLATION_CONNECTION TEXT`},
	{"TRIGGERS", `TRIGGER_CATALOG TEXT, TRIGGER_SCHEMA TEXT, TRIGGER_NAME TEXT, EVENT_MANIPULATION TEXT,
		EVENT_OBJECT_CATALOG TEXT, EVENT_OBJECT_SCHEMA TEXT, EVENT_OBJECT_TABLE TEXT, ACTION_ORDER INTEGER,
		ACTION_CONDITION TEXT, ACTION_STATEMENT TEXT, ACTION_ORIENTATION TEXT, ACTION_TIMING TEXT, DEFINER TEXT`},
	{"PARAMETERS", `SPECIFIC_CATALOG TEXT, SPECIFIC_SCHEMA TEXT, SPECIFIC_NAME TEXT, ORDINAL_POSITION INTEGER,
		PARAMETER_MODE TEXT, PARAMETER_NAME TEXT, DATA_TYPE TEXT, DTD_IDENTIFIER TEXT, ROUTINE_TYPE TEXT`},
	{"CHARACTER_SETS", "CHARACTER_SET_NAME TEXT, DEFAULT_COLLATE_NAME TEXT, DESCRIPTION TEXT, MAXLEN INTEGER"},
	{"COLLATIONS", "COLLATION_NAME TEXT, CHARACTER_SET_NAME TEXT, ID INTEGER, IS_DEFAULT TEXT, IS_COMPILED TEXT, SORTLEN INTEGER, PAD_ATTRIBUTE TEXT"},
	{"ENGINES", "ENGINE TEXT, SUPPORT TEXT, COMMENT TEXT, TRANSACTIONS TEXT, XA TEXT, SAVEPOINTS TEXT"},
	{"PARTITIONS", `TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT, TABLE_NAME TEXT, PARTITION_NAME TEXT, SUBPARTITION_NAME TEXT,
		PARTITION_ORDINAL_POSITION INTEGER, PARTITION_METHOD TEXT, PARTITION_EXPRESSION TEXT, TABLE_ROWS INTEGER`},
	{"PROCESSLIST", "ID INTEGER, USER TEXT, HOST TEXT, DB TEXT, COMMAND TEXT, TIME INTEGER, STATE TEXT, INFO TEXT"},
}

// Fixed OIDs of the catalog's own objects (PostgreSQL's where it has
// them).
const (
	nsPGCatalog   = 11
	nsPublic      = 2200
	nsInfoSchema  = 13000
	ownerOID      = 10 // the owner of every object: the role "floe"
	databaseOID   = 16384
	amHeap        = 2
	amBtree       = 403
	tablespaceDef = 1663
	collDefault   = 100
	relOIDsAt     = 12000 // the catalog's relations: relOIDsAt + their place
	procOIDsAt    = 8000  // the connection's functions: procOIDsAt + their place
	// OwnerName is the role that owns every object of an embedded
	// database (pg_get_userbyid of any owner column).
	OwnerName = "floe"
)

// catalogRelOID is the OID of a relation of pg_catalog (PostgreSQL's
// for the common ones) or of information_schema.
var catalogRelOID = func() map[string]int64 {
	m := map[string]int64{
		"pg_type": 1247, "pg_attribute": 1249, "pg_proc": 1255, "pg_class": 1259, "pg_authid": 1260,
		"pg_database": 1262, "pg_namespace": 2615, "pg_constraint": 2606, "pg_index": 2610,
		"pg_attrdef": 2604, "pg_description": 2609, "pg_trigger": 2620, "pg_rewrite": 2618,
		"pg_am": 2601, "pg_inherits": 2611, "pg_collation": 3456, "pg_tablespace": 1213,
	}
	for i, r := range pgCatalog {
		if _, ok := m[r.name]; !ok {
			m[r.name] = relOIDsAt + int64(i)
		}
	}
	for i, r := range pgInformationSchema {
		m["information_schema."+r.name] = relOIDsAt + 500 + int64(i)
	}
	return m
}()
