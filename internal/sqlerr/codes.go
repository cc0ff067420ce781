package sqlerr

// SQLSTATE codes the gateway raises, under PostgreSQL's condition names
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const (
	FeatureNotSupported = "0A000"

	ConnectionFailure = "08006"
	ProtocolViolation = "08P01"

	DataException               = "22000"
	CharacterNotInRepertoire    = "22021"
	InvalidParameterValue       = "22023"
	InvalidTextRepresentation   = "22P02"
	InvalidBinaryRepresentation = "22P03"
	NumericValueOutOfRange      = "22003"
	InvalidDatetimeFormat       = "22007"
	DatetimeFieldOverflow       = "22008"
	DivisionByZero              = "22012"
	InvalidRegularExpression    = "2201B"

	IntegrityConstraintViolation = "23000"
	NotNullViolation             = "23502"
	ForeignKeyViolation          = "23503"
	UniqueViolation              = "23505"
	CheckViolation               = "23514"

	ActiveSQLTransaction            = "25001"
	ReadOnlySQLTransaction          = "25006"
	NoActiveSQLTransaction          = "25P01"
	InFailedSQLTransaction          = "25P02"
	IdleInTransactionSessionTimeout = "25P03"

	InvalidSQLStatementName = "26000"

	InvalidAuthorizationSpecification = "28000"
	InvalidPassword                   = "28P01"

	InvalidCursorName  = "34000"
	InvalidCatalogName = "3D000"

	InsufficientPrivilege      = "42501"
	SyntaxError                = "42601"
	UndefinedColumn            = "42703"
	UndefinedObject            = "42704"
	DatatypeMismatch           = "42804"
	UndefinedFunction          = "42883"
	UndefinedTable             = "42P01"
	DuplicateCursor            = "42P03"
	DuplicatePreparedStatement = "42P05"
	DuplicateTable             = "42P07"

	InsufficientResources      = "53000"
	TooManyConnections         = "53300"
	ConfigurationLimitExceeded = "53400"

	ProgramLimitExceeded = "54000"
	StatementTooComplex  = "54001"

	ObjectNotInPrerequisiteState = "55000"
	LockNotAvailable             = "55P03"

	QueryCanceled    = "57014"
	AdminShutdown    = "57P01"
	CannotConnectNow = "57P03"

	InternalError = "XX000"
)

// MySQL server error numbers the gateway raises or reads, under MySQL's
// and MariaDB's ER_ names. All are in the server ranges (1000–1999,
// 3000 and up); see ClientRange.
const (
	ErConCount                         uint16 = 1040
	ErHandshake                        uint16 = 1043
	ErDBAccessDenied                   uint16 = 1044
	ErAccessDenied                     uint16 = 1045
	ErHostNotAllowed                   uint16 = 1130
	ErNoDB                             uint16 = 1046
	ErUnknownCom                       uint16 = 1047
	ErBadNull                          uint16 = 1048
	ErBadDB                            uint16 = 1049
	ErTableExists                      uint16 = 1050
	ErServerShutdown                   uint16 = 1053
	ErBadField                         uint16 = 1054
	ErDupEntry                         uint16 = 1062
	ErParse                            uint16 = 1064
	ErEmptyQuery                       uint16 = 1065
	ErNoSuchThread                     uint16 = 1094
	ErKillDenied                       uint16 = 1095
	ErUnknown                          uint16 = 1105
	ErUnknownCharacterSet              uint16 = 1115
	ErTableAccessDenied                uint16 = 1142
	ErColumnAccessDenied               uint16 = 1143
	ErNoSuchTable                      uint16 = 1146
	ErNotAllowedCommand                uint16 = 1148
	ErAbortingConnection               uint16 = 1152
	ErNetPacketTooLarge                uint16 = 1153
	ErNetPacketsOutOfOrd               uint16 = 1156
	ErNetReadError                     uint16 = 1158
	ErLockOrActiveTrans                uint16 = 1192
	ErUnknownSystemVariable            uint16 = 1193
	ErTooManyConnsForUser              uint16 = 1203
	ErLockWaitTimeout                  uint16 = 1205
	ErWrongArguments                   uint16 = 1210
	ErUserLimitReached                 uint16 = 1226
	ErWrongValueForVar                 uint16 = 1231
	ErIncorrectGlobalLocalVar          uint16 = 1238
	ErSpecificAccessDenied             uint16 = 1227
	ErNotSupportedYet                  uint16 = 1235
	ErUnknownStmtHandler               uint16 = 1243
	ErOptionPreventsStatement          uint16 = 1290
	ErInvalidCharacterString           uint16 = 1300
	ErSPDoesNotExist                   uint16 = 1305
	ErQueryInterrupted                 uint16 = 1317
	ErSPDupCursor                      uint16 = 1333
	ErTruncatedWrongValueForField      uint16 = 1366
	ErConnectToForeignDataSource       uint16 = 1429
	ErStackOverrunNeedMore             uint16 = 1436
	ErNoReferencedRow2                 uint16 = 1452
	ErMaxPreparedStmtCountReached      uint16 = 1461
	ErNeedReprepare                    uint16 = 1615
	ErCantExecuteInReadOnlyTransaction uint16 = 1792
	ErMalformedPacket                  uint16 = 1835
	ErConnectionKilled                 uint16 = 1927
	ErStatementTimeout                 uint16 = 1969
	ErQueryTimeout                     uint16 = 3024 // MySQL's max_execution_time error
	ErConstraintFailed                 uint16 = 4025
	ErClientInteractionTimeout         uint16 = 4031
)
