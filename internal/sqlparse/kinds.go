package sqlparse

// KindUnclassified is the kind of a statement the tables below do not
// name: Floe cannot say what it does, so policy asks for admin.
const KindUnclassified Kind = "unclassified"

// nodeClass is what a statement node is: its kind and, when it acts
// beyond the session's data (server-wide objects, other servers, code
// loaded into the server), what makes it privileged.
type nodeClass struct {
	kind       Kind
	privileged string
}

// Every statement node of pg_query's Node oneof, classified. A node that
// is not here (a new PostgreSQL release) is KindUnclassified; the test
// TestPostgresNodeTableComplete fails until it is added. Kinds refined by
// the statement's content (SELECT … INTO, EXPLAIN, PREPARE, DECLARE,
// TRANSACTION) are refined in pgKind.
var pgNodes = map[string]nodeClass{
	// Queries and writes.
	"SelectStmt":       {kind: KindSelect},
	"SetOperationStmt": {kind: KindSelect},
	"InsertStmt":       {kind: KindInsert}, // ON CONFLICT DO UPDATE also updates (table actions)
	"UpdateStmt":       {kind: KindUpdate},
	"DeleteStmt":       {kind: KindDelete},
	"MergeStmt":        {kind: KindMerge}, // each WHEN clause's action on the target
	"CopyStmt":         {kind: KindCopy},
	"CallStmt":         {kind: KindCall},
	"DoStmt":           {kind: KindCall, privileged: "DO"}, // an anonymous code block Floe cannot read
	// EXPLAIN has the kind of the statement it explains (pgKind).
	// PREPARE and DECLARE stay utility, so that routing keeps them on the
	// primary with the EXECUTE and FETCH that follow; the tables and
	// functions of the statement they carry are walked like any other.
	"ExplainStmt":       {kind: KindUtility},
	"PrepareStmt":       {kind: KindUtility},
	"DeclareCursorStmt": {kind: KindUtility},
	// Session utilities that touch no data and no other session.
	"VariableSetStmt":    {kind: KindUtility}, // SET ROLE / SESSION AUTHORIZATION are privileged (walk)
	"VariableShowStmt":   {kind: KindUtility}, // SHOW a setting
	"ConstraintsSetStmt": {kind: KindUtility}, // SET CONSTRAINTS of the transaction
	"DiscardStmt":        {kind: KindUtility}, // drops the session's own state
	"ExecuteStmt":        {kind: KindUtility}, // runs the session's own PREPARE (names checked by the Gate)
	"DeallocateStmt":     {kind: KindUtility}, // drops the session's own PREPARE
	"FetchStmt":          {kind: KindUtility}, // reads the session's own cursor (its query was checked)
	"ClosePortalStmt":    {kind: KindUtility}, // closes the session's own cursor
	"ListenStmt":         {kind: KindUtility}, // waits for notifications
	"UnlistenStmt":       {kind: KindUtility},
	"NotifyStmt":         {kind: KindUtility}, // a message on a channel, as pg_notify()
	"LockStmt":           {kind: KindUtility}, // table actions by lock mode (walk)
	"TransactionStmt":    {kind: KindTCL},     // two-phase commit is privileged (pgKind)
	// Access control.
	"GrantStmt":                  {kind: KindDCL},
	"GrantRoleStmt":              {kind: KindDCL},
	"CreateRoleStmt":             {kind: KindDCL},
	"AlterRoleStmt":              {kind: KindDCL},
	"AlterRoleSetStmt":           {kind: KindDCL},
	"DropRoleStmt":               {kind: KindDCL},
	"AlterDefaultPrivilegesStmt": {kind: KindDCL},
	"ReassignOwnedStmt":          {kind: KindDCL},
	"DropOwnedStmt":              {kind: KindDCL},
	"AlterOwnerStmt":             {kind: KindDCL},
	// Schema changes within the database: ddl on the tables they name,
	// or on the database when they name none.
	"CreateStmt":               {kind: KindDDL},
	"CreateTableAsStmt":        {kind: KindDDL},
	"ViewStmt":                 {kind: KindDDL},
	"AlterTableStmt":           {kind: KindDDL},
	"ReplicaIdentityStmt":      {kind: KindDDL},
	"DropStmt":                 {kind: KindDDL},
	"TruncateStmt":             {kind: KindDDL},
	"IndexStmt":                {kind: KindDDL},
	"ReindexStmt":              {kind: KindDDL},
	"ClusterStmt":              {kind: KindDDL},
	"VacuumStmt":               {kind: KindDDL},
	"RefreshMatViewStmt":       {kind: KindDDL},
	"RenameStmt":               {kind: KindDDL},
	"CommentStmt":              {kind: KindDDL},
	"CreateSchemaStmt":         {kind: KindDDL},
	"CreateSeqStmt":            {kind: KindDDL},
	"AlterSeqStmt":             {kind: KindDDL},
	"CreateDomainStmt":         {kind: KindDDL},
	"AlterDomainStmt":          {kind: KindDDL},
	"CompositeTypeStmt":        {kind: KindDDL},
	"CreateEnumStmt":           {kind: KindDDL},
	"AlterEnumStmt":            {kind: KindDDL},
	"CreateRangeStmt":          {kind: KindDDL},
	"AlterTypeStmt":            {kind: KindDDL},
	"DefineStmt":               {kind: KindDDL}, // CREATE AGGREGATE, OPERATOR, COLLATION, TYPE, TEXT SEARCH …
	"AlterCollationStmt":       {kind: KindDDL},
	"AlterOperatorStmt":        {kind: KindDDL},
	"CreateOpClassStmt":        {kind: KindDDL},
	"CreateOpFamilyStmt":       {kind: KindDDL},
	"AlterOpFamilyStmt":        {kind: KindDDL},
	"AlterTSDictionaryStmt":    {kind: KindDDL},
	"AlterTSConfigurationStmt": {kind: KindDDL},
	"CreateConversionStmt":     {kind: KindDDL},
	"CreateCastStmt":           {kind: KindDDL},
	"CreateTransformStmt":      {kind: KindDDL},
	"CreateFunctionStmt":       {kind: KindDDL}, // untrusted languages are privileged (walk)
	"AlterFunctionStmt":        {kind: KindDDL},
	"AlterObjectDependsStmt":   {kind: KindDDL},
	"AlterObjectSchemaStmt":    {kind: KindDDL},
	"CreateTrigStmt":           {kind: KindDDL},
	"RuleStmt":                 {kind: KindDDL},
	"CreatePolicyStmt":         {kind: KindDDL},
	"AlterPolicyStmt":          {kind: KindDDL},
	"CreateStatsStmt":          {kind: KindDDL},
	"AlterStatsStmt":           {kind: KindDDL},
	// Objects of the whole server, code loaded into it, other servers.
	"CreatedbStmt":                 {kind: KindDDL, privileged: "CREATE DATABASE"},
	"AlterDatabaseStmt":            {kind: KindDDL, privileged: "ALTER DATABASE"},
	"AlterDatabaseSetStmt":         {kind: KindDDL, privileged: "ALTER DATABASE"},
	"AlterDatabaseRefreshCollStmt": {kind: KindDDL, privileged: "ALTER DATABASE"},
	"DropdbStmt":                   {kind: KindDDL, privileged: "DROP DATABASE"},
	"CreateTableSpaceStmt":         {kind: KindDDL, privileged: "CREATE TABLESPACE"},
	"DropTableSpaceStmt":           {kind: KindDDL, privileged: "DROP TABLESPACE"},
	"AlterTableSpaceOptionsStmt":   {kind: KindDDL, privileged: "ALTER TABLESPACE"},
	"AlterTableMoveAllStmt":        {kind: KindDDL, privileged: "ALTER TABLE ALL IN TABLESPACE"},
	"CreateExtensionStmt":          {kind: KindDDL, privileged: "CREATE EXTENSION"},
	"AlterExtensionStmt":           {kind: KindDDL, privileged: "ALTER EXTENSION"},
	"AlterExtensionContentsStmt":   {kind: KindDDL, privileged: "ALTER EXTENSION"},
	"CreatePLangStmt":              {kind: KindDDL, privileged: "CREATE LANGUAGE"},
	"CreateAmStmt":                 {kind: KindDDL, privileged: "CREATE ACCESS METHOD"},
	"CreateEventTrigStmt":          {kind: KindDDL, privileged: "CREATE EVENT TRIGGER"},
	"AlterEventTrigStmt":           {kind: KindDDL, privileged: "ALTER EVENT TRIGGER"},
	"CreateFdwStmt":                {kind: KindDDL, privileged: "CREATE FOREIGN DATA WRAPPER"},
	"AlterFdwStmt":                 {kind: KindDDL, privileged: "ALTER FOREIGN DATA WRAPPER"},
	"CreateForeignServerStmt":      {kind: KindDDL, privileged: "CREATE SERVER"},
	"AlterForeignServerStmt":       {kind: KindDDL, privileged: "ALTER SERVER"},
	"CreateForeignTableStmt":       {kind: KindDDL, privileged: "CREATE FOREIGN TABLE"},
	"CreateUserMappingStmt":        {kind: KindDDL, privileged: "CREATE USER MAPPING"},
	"AlterUserMappingStmt":         {kind: KindDDL, privileged: "ALTER USER MAPPING"},
	"DropUserMappingStmt":          {kind: KindDDL, privileged: "DROP USER MAPPING"},
	"ImportForeignSchemaStmt":      {kind: KindDDL, privileged: "IMPORT FOREIGN SCHEMA"},
	"CreatePublicationStmt":        {kind: KindDDL, privileged: "CREATE PUBLICATION"},
	"AlterPublicationStmt":         {kind: KindDDL, privileged: "ALTER PUBLICATION"},
	"CreateSubscriptionStmt":       {kind: KindDDL, privileged: "CREATE SUBSCRIPTION"},
	"AlterSubscriptionStmt":        {kind: KindDDL, privileged: "ALTER SUBSCRIPTION"},
	"DropSubscriptionStmt":         {kind: KindDDL, privileged: "DROP SUBSCRIPTION"},
	"SecLabelStmt":                 {kind: KindDDL, privileged: "SECURITY LABEL"},
	"AlterSystemStmt":              {kind: KindUtility, privileged: "ALTER SYSTEM"},
	"LoadStmt":                     {kind: KindUtility, privileged: "LOAD"},
	"CheckPointStmt":               {kind: KindUtility, privileged: "CHECKPOINT"},
	// Not statements a client can send at top level (function bodies).
	"ReturnStmt":   {kind: KindUnclassified},
	"PLAssignStmt": {kind: KindUnclassified},
}

// Every statement type of the TiDB parser's ast package, classified by
// its Go type name. A type not here is KindUnclassified;
// TestMySQLNodeTableComplete fails until it is added. Statements only
// TiDB knows (placement, resource groups, BR, bindings, …) are
// privileged: MariaDB refuses them, and Floe does not guess.
var myNodes = map[string]nodeClass{
	"SelectStmt":           {kind: KindSelect},
	"SetOprStmt":           {kind: KindSelect},
	"DoStmt":               {kind: KindUtility}, // DO expr: the functions it calls are checked
	"InsertStmt":           {kind: KindInsert},  // REPLACE and ON DUPLICATE KEY UPDATE: table actions
	"UpdateStmt":           {kind: KindUpdate},
	"DeleteStmt":           {kind: KindDelete},
	"LoadDataStmt":         {kind: KindCopy},
	"CallStmt":             {kind: KindCall},
	"BeginStmt":            {kind: KindTCL},
	"CommitStmt":           {kind: KindTCL},
	"RollbackStmt":         {kind: KindTCL},
	"SavepointStmt":        {kind: KindTCL},
	"ReleaseSavepointStmt": {kind: KindTCL},
	"ExplainStmt":          {kind: KindUtility}, // EXPLAIN ANALYZE: the inner statement's kind
	"ShowStmt":             {kind: KindUtility}, // tables it names are read
	"SetStmt":              {kind: KindUtility}, // SET GLOBAL is privileged (walk)
	"UseStmt":              {kind: KindUtility},
	"HelpStmt":             {kind: KindUtility},
	"ExecuteStmt":          {kind: KindUtility}, // the session's own PREPARE (names checked by the Gate)
	"DeallocateStmt":       {kind: KindUtility},
	// PREPARE … FROM runs text Floe does not read here (or a variable).
	"PrepareStmt": {kind: KindUtility, privileged: "PREPARE from SQL text"},
	// Access control.
	"GrantStmt":          {kind: KindDCL},
	"GrantRoleStmt":      {kind: KindDCL},
	"GrantProxyStmt":     {kind: KindDCL},
	"RevokeStmt":         {kind: KindDCL},
	"RevokeRoleStmt":     {kind: KindDCL},
	"CreateUserStmt":     {kind: KindDCL},
	"AlterUserStmt":      {kind: KindDCL},
	"DropUserStmt":       {kind: KindDCL},
	"SetPwdStmt":         {kind: KindDCL},
	"RenameUserStmt":     {kind: KindDCL},
	"SetRoleStmt":        {kind: KindDCL, privileged: "SET ROLE"},
	"SetDefaultRoleStmt": {kind: KindDCL, privileged: "SET ROLE"},
	// Schema changes within the database.
	"CreateTableStmt":    {kind: KindDDL},
	"CreateViewStmt":     {kind: KindDDL},
	"CreateIndexStmt":    {kind: KindDDL},
	"CreateSequenceStmt": {kind: KindDDL},
	"AlterTableStmt":     {kind: KindDDL},
	"AlterSequenceStmt":  {kind: KindDDL},
	"DropTableStmt":      {kind: KindDDL},
	"DropIndexStmt":      {kind: KindDDL},
	"DropSequenceStmt":   {kind: KindDDL},
	"TruncateTableStmt":  {kind: KindDDL},
	"RenameTableStmt":    {kind: KindDDL},
	"RepairTableStmt":    {kind: KindDDL},
	"OptimizeTableStmt":  {kind: KindDDL},
	"AnalyzeTableStmt":   {kind: KindDDL},
	"LockTablesStmt":     {kind: KindDDL},
	"UnlockTablesStmt":   {kind: KindUtility}, // releases the session's own locks
	"ProcedureInfo":      {kind: KindDDL},     // CREATE PROCEDURE
	"DropProcedureStmt":  {kind: KindDDL},
	// Server-wide.
	"CreateDatabaseStmt": {kind: KindDDL, privileged: "CREATE DATABASE"},
	"AlterDatabaseStmt":  {kind: KindDDL, privileged: "ALTER DATABASE"},
	"DropDatabaseStmt":   {kind: KindDDL, privileged: "DROP DATABASE"},
	"FlushStmt":          {kind: KindUtility, privileged: "FLUSH"},
	"KillStmt":           {kind: KindUtility, privileged: "KILL"},
	"ShutdownStmt":       {kind: KindUtility, privileged: "SHUTDOWN"},
	"RestartStmt":        {kind: KindUtility, privileged: "RESTART"},
	"SetConfigStmt":      {kind: KindUtility, privileged: "SET CONFIG"},
	"BinlogStmt":         {kind: KindUtility, privileged: "BINLOG"},
	"AlterInstanceStmt":  {kind: KindUtility, privileged: "ALTER INSTANCE"},
	// TiDB only.
	"AddQueryWatchStmt":              {kind: KindUnclassified},
	"AdminStmt":                      {kind: KindUnclassified},
	"AlterPlacementPolicyStmt":       {kind: KindUnclassified},
	"AlterRangeStmt":                 {kind: KindUnclassified},
	"AlterResourceGroupStmt":         {kind: KindUnclassified},
	"BRIEStmt":                       {kind: KindUnclassified},
	"CalibrateResourceStmt":          {kind: KindUnclassified},
	"CancelDistributionJobStmt":      {kind: KindUnclassified},
	"CleanupTableLockStmt":           {kind: KindUnclassified},
	"CompactTableStmt":               {kind: KindUnclassified},
	"CreateBindingStmt":              {kind: KindUnclassified},
	"CreateMaskingPolicyStmt":        {kind: KindUnclassified},
	"CreatePlacementPolicyStmt":      {kind: KindUnclassified},
	"CreateResourceGroupStmt":        {kind: KindUnclassified},
	"CreateStatisticsStmt":           {kind: KindUnclassified},
	"DistributeTableStmt":            {kind: KindUnclassified},
	"DropBindingStmt":                {kind: KindUnclassified},
	"DropPlacementPolicyStmt":        {kind: KindUnclassified},
	"DropQueryWatchStmt":             {kind: KindUnclassified},
	"DropResourceGroupStmt":          {kind: KindUnclassified},
	"DropStatisticsStmt":             {kind: KindUnclassified},
	"DropStatsStmt":                  {kind: KindUnclassified},
	"DynamicCalibrateResourceOption": {kind: KindUnclassified},
	"ExplainForStmt":                 {kind: KindUnclassified},
	"FlashBackDatabaseStmt":          {kind: KindUnclassified},
	"FlashBackTableStmt":             {kind: KindUnclassified},
	"FlashBackToTimestampStmt":       {kind: KindUnclassified},
	"ImportIntoActionStmt":           {kind: KindUnclassified},
	"ImportIntoStmt":                 {kind: KindUnclassified},
	"LoadStatsStmt":                  {kind: KindUnclassified},
	"LockStatsStmt":                  {kind: KindUnclassified},
	"NonTransactionalDMLStmt":        {kind: KindUnclassified},
	"PlanReplayerStmt":               {kind: KindUnclassified},
	"QueryWatchOption":               {kind: KindUnclassified},
	"RecommendIndexStmt":             {kind: KindUnclassified},
	"RecoverTableStmt":               {kind: KindUnclassified},
	"RefreshStatsStmt":               {kind: KindUnclassified},
	"SetBindingStmt":                 {kind: KindUnclassified},
	"SetResourceGroupStmt":           {kind: KindUnclassified},
	"SetSessionStatesStmt":           {kind: KindUnclassified},
	"SplitIndexOption":               {kind: KindUnclassified},
	"SplitOption":                    {kind: KindUnclassified},
	"SplitRegionStmt":                {kind: KindUnclassified},
	"TraceStmt":                      {kind: KindUnclassified},
	"TrafficStmt":                    {kind: KindUnclassified},
	"UnlockStatsStmt":                {kind: KindUnclassified},
	// Parts of a procedure body, never a statement of their own.
	"ProcedureBlock":          {kind: KindUnclassified},
	"ProcedureCloseCur":       {kind: KindUnclassified},
	"ProcedureElseBlock":      {kind: KindUnclassified},
	"ProcedureElseIfBlock":    {kind: KindUnclassified},
	"ProcedureErrorCon":       {kind: KindUnclassified},
	"ProcedureErrorCondition": {kind: KindUnclassified},
	"ProcedureErrorState":     {kind: KindUnclassified},
	"ProcedureErrorVal":       {kind: KindUnclassified},
	"ProcedureFetchInto":      {kind: KindUnclassified},
	"ProcedureIfBlock":        {kind: KindUnclassified},
	"ProcedureIfInfo":         {kind: KindUnclassified},
	"ProcedureJump":           {kind: KindUnclassified},
	"ProcedureLabelBlock":     {kind: KindUnclassified},
	"ProcedureLabelLoop":      {kind: KindUnclassified},
	"ProcedureOpenCur":        {kind: KindUnclassified},
	"ProcedureRepeatStmt":     {kind: KindUnclassified},
	"ProcedureWhileStmt":      {kind: KindUnclassified},
	"SearchCaseStmt":          {kind: KindUnclassified},
	"SearchWhenThenStmt":      {kind: KindUnclassified},
	"SimpleCaseStmt":          {kind: KindUnclassified},
	"SimpleWhenThenStmt":      {kind: KindUnclassified},
}

// classify returns a node's class from table, KindUnclassified when the
// table does not name it.
func classify(table map[string]nodeClass, node string) nodeClass {
	if c, ok := table[node]; ok {
		return c
	}
	return nodeClass{kind: KindUnclassified}
}
