package sqlerr

import "strings"

// The one SQLSTATE↔MySQL table. errnos lists every MySQL error number
// the gateway sends or classifies: the SQLSTATE MySQL sends with it and
// the SQLSTATE (PostgreSQL's condition) it stands for. errnoOf is the
// number an error without one is sent with. Both are read-only.
var errnos = map[uint16]struct{ state, code string }{
	ErConCount:                         {"08004", TooManyConnections},
	ErHandshake:                        {"08S01", ProtocolViolation},
	ErDBAccessDenied:                   {"42000", InsufficientPrivilege},
	ErAccessDenied:                     {"28000", InvalidPassword},
	ErHostNotAllowed:                   {"HY000", InvalidAuthorizationSpecification},
	ErNoDB:                             {"3D000", InvalidCatalogName},
	ErUnknownCom:                       {"08S01", ProtocolViolation},
	ErBadNull:                          {"23000", NotNullViolation},
	ErBadDB:                            {"42000", InvalidCatalogName},
	ErTableExists:                      {"42S01", DuplicateTable},
	ErServerShutdown:                   {"08S01", AdminShutdown},
	ErBadField:                         {"42S22", UndefinedColumn},
	ErDupEntry:                         {"23000", UniqueViolation},
	ErParse:                            {"42000", SyntaxError},
	ErEmptyQuery:                       {"42000", SyntaxError},
	ErNoSuchThread:                     {"HY000", UndefinedObject},
	ErKillDenied:                       {"HY000", InsufficientPrivilege},
	ErUnknown:                          {"HY000", InternalError},
	ErUnknownCharacterSet:              {"42000", InvalidParameterValue},
	ErTableAccessDenied:                {"42000", InsufficientPrivilege},
	ErColumnAccessDenied:               {"42000", InsufficientPrivilege},
	ErNoSuchTable:                      {"42S02", UndefinedTable},
	ErNotAllowedCommand:                {"42000", InsufficientPrivilege},
	ErAbortingConnection:               {"08S01", ConnectionFailure},
	ErNetPacketTooLarge:                {"08S01", ProgramLimitExceeded},
	ErNetPacketsOutOfOrd:               {"08S01", ProtocolViolation},
	ErNetReadError:                     {"08S01", ConnectionFailure},
	ErLockOrActiveTrans:                {"HY000", ActiveSQLTransaction},
	ErUnknownSystemVariable:            {"HY000", UndefinedObject},
	ErTooManyConnsForUser:              {"42000", TooManyConnections},
	ErLockWaitTimeout:                  {"HY000", LockNotAvailable},
	ErWrongArguments:                   {"HY000", InvalidParameterValue},
	ErUserLimitReached:                 {"42000", ConfigurationLimitExceeded},
	ErWrongValueForVar:                 {"42000", InvalidParameterValue},
	ErIncorrectGlobalLocalVar:          {"HY000", InvalidParameterValue},
	ErSpecificAccessDenied:             {"42000", InsufficientPrivilege},
	ErNotSupportedYet:                  {"42000", FeatureNotSupported},
	ErUnknownStmtHandler:               {"HY000", InvalidSQLStatementName},
	ErOptionPreventsStatement:          {"HY000", ReadOnlySQLTransaction},
	ErInvalidCharacterString:           {"HY000", CharacterNotInRepertoire},
	ErSPDoesNotExist:                   {"42000", UndefinedFunction},
	ErQueryInterrupted:                 {"70100", QueryCanceled},
	ErSPDupCursor:                      {"42000", DuplicateCursor},
	ErTruncatedWrongValueForField:      {"HY000", DatatypeMismatch},
	ErConnectToForeignDataSource:       {"HY000", ConnectionFailure},
	ErStackOverrunNeedMore:             {"HY000", StatementTooComplex},
	ErNoReferencedRow2:                 {"23000", ForeignKeyViolation},
	ErMaxPreparedStmtCountReached:      {"42000", ProgramLimitExceeded},
	ErNeedReprepare:                    {"HY000", ObjectNotInPrerequisiteState},
	ErCantExecuteInReadOnlyTransaction: {"25006", ReadOnlySQLTransaction},
	ErMalformedPacket:                  {"HY000", ProtocolViolation},
	ErConnectionKilled:                 {"70100", ConnectionFailure},
	ErStatementTimeout:                 {"70100", QueryCanceled},
	ErQueryTimeout:                     {"HY000", QueryCanceled},
	ErConstraintFailed:                 {"23000", CheckViolation},
	ErClientInteractionTimeout:         {"HY000", IdleInTransactionSessionTimeout},
}

var errnoOf = map[string]uint16{
	FeatureNotSupported:               ErNotSupportedYet,
	ConnectionFailure:                 ErConnectionKilled,
	ProtocolViolation:                 ErMalformedPacket,
	CharacterNotInRepertoire:          ErInvalidCharacterString,
	InvalidParameterValue:             ErWrongArguments,
	InvalidTextRepresentation:         ErTruncatedWrongValueForField,
	InvalidBinaryRepresentation:       ErTruncatedWrongValueForField,
	NumericValueOutOfRange:            ErTruncatedWrongValueForField,
	InvalidDatetimeFormat:             ErTruncatedWrongValueForField,
	DatetimeFieldOverflow:             ErTruncatedWrongValueForField,
	DivisionByZero:                    ErWrongArguments,
	InvalidRegularExpression:          ErWrongArguments,
	IntegrityConstraintViolation:      ErConstraintFailed,
	NotNullViolation:                  ErBadNull,
	ForeignKeyViolation:               ErNoReferencedRow2,
	UniqueViolation:                   ErDupEntry,
	CheckViolation:                    ErConstraintFailed,
	ActiveSQLTransaction:              ErLockOrActiveTrans,
	ReadOnlySQLTransaction:            ErCantExecuteInReadOnlyTransaction,
	IdleInTransactionSessionTimeout:   ErClientInteractionTimeout,
	InvalidSQLStatementName:           ErUnknownStmtHandler,
	InvalidAuthorizationSpecification: ErAccessDenied,
	InvalidPassword:                   ErAccessDenied,
	InvalidCatalogName:                ErBadDB,
	InsufficientPrivilege:             ErSpecificAccessDenied,
	SyntaxError:                       ErParse,
	UndefinedColumn:                   ErBadField,
	UndefinedObject:                   ErUnknownSystemVariable,
	DatatypeMismatch:                  ErTruncatedWrongValueForField,
	UndefinedFunction:                 ErSPDoesNotExist,
	UndefinedTable:                    ErNoSuchTable,
	DuplicateCursor:                   ErSPDupCursor,
	DuplicateTable:                    ErTableExists,
	InsufficientResources:             ErConCount,
	TooManyConnections:                ErConCount,
	ConfigurationLimitExceeded:        ErUserLimitReached,
	ProgramLimitExceeded:              ErNetPacketTooLarge,
	StatementTooComplex:               ErStackOverrunNeedMore,
	LockNotAvailable:                  ErLockWaitTimeout,
	QueryCanceled:                     ErQueryInterrupted,
	AdminShutdown:                     ErServerShutdown,
	CannotConnectNow:                  ErServerShutdown,
	InternalError:                     ErUnknown,
}

// ErrnoFor is the MySQL error number sent for an error with SQLSTATE
// code and no number of its own: ER_UNKNOWN_ERROR (1105) for a code the
// table does not name.
func ErrnoFor(code string) uint16 {
	if n, ok := errnoOf[code]; ok {
		return n
	}
	return ErUnknown
}

// MySQLState is the SQLSTATE MySQL sends with error number errno:
// "HY000" for a number the table does not name.
func MySQLState(errno uint16) string {
	if m, ok := errnos[errno]; ok {
		return m.state
	}
	return "HY000"
}

// CodeFor is the SQLSTATE (PostgreSQL's condition) a MySQL error number
// stands for, or "" for a number the table does not name.
func CodeFor(errno uint16) string {
	return errnos[errno].code
}

// ClientRange reports whether errno is a MySQL client library number
// (2000–2999, CR_*). A server never sends one; the mysql command-line
// client reads an ERR packet carrying one as a malformed packet.
func ClientRange(errno uint16) bool { return errno >= 2000 && errno < 3000 }

// ServerErrno is errno moved into the server ranges: the client-side
// numbers for an unreachable server become ER_CONNECT_TO_FOREIGN_DATA_SOURCE
// (1429), those for a lost one ER_CONNECTION_KILLED (1927), any other
// ER_UNKNOWN_ERROR, as does 0. Server numbers are returned as they are.
func ServerErrno(errno uint16) uint16 {
	switch {
	case errno == 0:
		return ErUnknown
	case !ClientRange(errno):
		return errno
	}
	switch errno {
	case 2002, 2003, 2005: // CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_UNKNOWN_HOST
		return ErConnectToForeignDataSource
	case 2006, 2013, 2055: // CR_SERVER_GONE_ERROR, CR_SERVER_LOST, CR_SERVER_LOST_EXTENDED
		return ErConnectionKilled
	}
	return ErUnknown
}

// Unavailable reports whether SQLSTATE code says the database could not
// be reached or is going away (classes 08 and 57P, 53000, 53300): the
// request may succeed later, and the data APIs answer 503.
func Unavailable(code string) bool {
	return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57P") ||
		code == InsufficientResources || code == TooManyConnections
}

// Codes lists the SQLSTATEs the gateway raises (the constants of this
// package), for tests that cover every one.
func Codes() []string {
	return []string{
		FeatureNotSupported, ConnectionFailure, ProtocolViolation, DataException,
		CharacterNotInRepertoire, InvalidParameterValue, InvalidTextRepresentation,
		InvalidBinaryRepresentation, IntegrityConstraintViolation, NotNullViolation,
		ForeignKeyViolation, UniqueViolation, CheckViolation, ActiveSQLTransaction,
		ReadOnlySQLTransaction, NoActiveSQLTransaction, InFailedSQLTransaction,
		IdleInTransactionSessionTimeout, InvalidSQLStatementName,
		InvalidAuthorizationSpecification, InvalidPassword, InvalidCursorName,
		InvalidCatalogName, InsufficientPrivilege, SyntaxError, UndefinedColumn,
		UndefinedObject, DatatypeMismatch, UndefinedFunction, UndefinedTable,
		DuplicateCursor, DuplicatePreparedStatement, DuplicateTable,
		InsufficientResources, TooManyConnections, ConfigurationLimitExceeded,
		ProgramLimitExceeded, StatementTooComplex, ObjectNotInPrerequisiteState,
		LockNotAvailable, QueryCanceled, AdminShutdown, CannotConnectNow, InternalError,
		NumericValueOutOfRange, InvalidDatetimeFormat, DatetimeFieldOverflow, DivisionByZero,
		InvalidRegularExpression,
	}
}

// Errnos lists the MySQL error numbers of the table, for tests that
// cover every one.
func Errnos() []uint16 {
	out := make([]uint16, 0, len(errnos))
	for n := range errnos {
		out = append(out, n)
	}
	return out
}
