package mysqlwire

import (
	"encoding/binary"
	"fmt"
)

// Error numbers (with their SQLSTATE) the gateway raises itself.
const (
	ErConCount            uint16 = 1040 // 08004
	ErHandshake           uint16 = 1043 // 08S01
	ErDBAccessDenied      uint16 = 1044 // 42000
	ErAccessDenied        uint16 = 1045 // 28000
	ErNoDB                uint16 = 1046 // 3D000
	ErUnknownCom          uint16 = 1047 // 08S01
	ErBadDB               uint16 = 1049 // 42000
	ErServerShutdown      uint16 = 1053 // 08S01
	ErParse               uint16 = 1064 // 42000
	ErNoSuchThread        uint16 = 1094 // HY000
	ErKillDenied          uint16 = 1095 // HY000
	ErUnknown             uint16 = 1105 // HY000
	ErNotAllowedCommand   uint16 = 1148 // 42000
	ErNetReadError        uint16 = 1158 // 08S01
	ErNetPacketTooLarge   uint16 = 1153 // 08S01
	ErNetPacketsOutOfOrd  uint16 = 1156 // 08S01
	ErNotSupportedYet     uint16 = 1235 // 42000
	ErUnknownStmtHandler  uint16 = 1243 // HY000
	ErQueryInterrupted    uint16 = 1317 // 70100
	ErQueryTimeout        uint16 = 3024 // HY000 (MySQL's max_execution_time error)
	ErLockOrActiveTrans   uint16 = 1192 // HY000
	ErWrongArguments      uint16 = 1210 // HY000
	ErMalformedPacket     uint16 = 1835 // HY000
	ErConnectionKilled    uint16 = 1927 // 70100
	ErTooManyConnsForUser uint16 = 1203 // 42000
	ErCantConnect         uint16 = 2003 // HY000 (client-side number, used for unreachable backends)
	ErServerLost          uint16 = 2013 // HY000 (client-side number, used for a backend lost mid-statement)
	// ErClientInteractionTimeout is MySQL 8's error for a session closed
	// for inactivity.
	ErClientInteractionTimeout uint16 = 4031 // HY000
)

var sqlStates = map[uint16]string{
	ErConCount: "08004", ErHandshake: "08S01", ErAccessDenied: "28000", ErNoDB: "3D000",
	ErUnknownCom: "08S01", ErBadDB: "42000", ErServerShutdown: "08S01", ErParse: "42000",
	ErNotAllowedCommand: "42000", ErNetReadError: "08S01", ErNetPacketTooLarge: "08S01",
	ErNetPacketsOutOfOrd: "08S01", ErNotSupportedYet: "42000", ErQueryInterrupted: "70100",
	ErConnectionKilled: "70100", ErTooManyConnsForUser: "42000",
}

// Error is a MySQL error: an errno, a SQLSTATE and a message. Fatal ones
// end the connection after they are sent.
type Error struct {
	Code    uint16
	State   string
	Message string
	Fatal   bool
}

func (e *Error) Error() string {
	return fmt.Sprintf("ERROR %d (%s): %s", e.Code, e.State, e.Message)
}

// Errorf builds an Error; the SQLSTATE comes from the errno.
func Errorf(code uint16, format string, args ...any) *Error {
	st, ok := sqlStates[code]
	if !ok {
		st = "HY000"
	}
	return &Error{Code: code, State: st, Message: fmt.Sprintf(format, args...)}
}

// Fatalf builds an Error that ends the connection.
func Fatalf(code uint16, format string, args ...any) *Error {
	e := Errorf(code, format, args...)
	e.Fatal = true
	return e
}

// AppendErr encodes an ERR packet (protocol 41).
func AppendErr(b []byte, e *Error) []byte {
	b = append(b, HeaderErr)
	b = binary.LittleEndian.AppendUint16(b, e.Code)
	st := e.State
	if len(st) != 5 {
		st = "HY000"
	}
	b = append(b, '#')
	b = append(b, st...)
	return append(b, e.Message...)
}

// ParseErr decodes an ERR packet.
func ParseErr(p []byte) *Error {
	r := NewReader(p)
	r.Byte()
	e := &Error{Code: r.Uint16(), State: "HY000"}
	if r.Len() > 0 && r.b[0] == '#' {
		r.Byte()
		e.State = string(r.Bytes(5))
	}
	e.Message = string(r.Rest())
	if r.Err() != nil {
		return &Error{Code: ErMalformedPacket, State: "HY000", Message: "malformed error packet from the server"}
	}
	return e
}
