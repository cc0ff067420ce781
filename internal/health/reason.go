package health

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"syscall"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// Reason says why a check failed, in words that name no backend login,
// password or database: what the admin API and the dashboard show as a
// server's last_error. The log keeps the driver's full message.
func Reason(err error) string {
	var pe *pgconn.PgError
	var me *gomysql.MyError
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pe):
		switch pe.Code {
		case "28P01":
			return "the server refused the login: password authentication failed (SQLSTATE 28P01)"
		case "28000":
			return "the server refused the login: no such login or not allowed from here (SQLSTATE 28000)"
		case "3D000":
			return "the database does not exist on the server (SQLSTATE 3D000)"
		case "53300":
			return "the server has too many connections (SQLSTATE 53300)"
		case "57P03":
			return "the server is starting up or shutting down (SQLSTATE 57P03)"
		}
		return "the server answered with an error (SQLSTATE " + pe.Code + ")"
	case errors.As(err, &me):
		switch me.Code {
		case gomysql.ER_ACCESS_DENIED_ERROR, gomysql.ER_DBACCESS_DENIED_ERROR:
			return "the server refused the login: access denied (wrong login or password) (error " + strconv.Itoa(int(me.Code)) + ")"
		case gomysql.ER_BAD_DB_ERROR:
			return "the database does not exist on the server (error 1049)"
		case gomysql.ER_CON_COUNT_ERROR:
			return "the server has too many connections (error 1040)"
		}
		return "the server answered with an error (error " + strconv.Itoa(int(me.Code)) + ")"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "cannot connect: connection refused (nothing listens at the address)"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "cannot connect: host unreachable"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "the check timed out (health.timeout)"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "cannot connect: the host name does not resolve"
	}
	return "the check failed (the log has the driver's message)"
}
