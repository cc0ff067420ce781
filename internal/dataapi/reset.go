package dataapi

import (
	"context"
	"fmt"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/arrowsql"
)

// resetTimeout bounds the reset of a connection going back to the pool;
// a connection that cannot be reset in time is closed instead.
const resetTimeout = 5 * time.Second

// Every data-API connection is reset before another request gets it, so
// nothing one request leaves on it (settings, temporary tables and views,
// prepared statements, cursors, variables, locks, an open transaction,
// LISTEN registrations, the current database) is seen by the next,
// whoever sends it. A connection whose reset fails is closed, never
// reused.

// resetPostgres runs DISCARD ALL (which also resets the role and session
// authorization, unlistens, drops temporary objects and releases
// advisory locks) and makes pgx forget its prepared statements, which
// DISCARD ALL dropped on the server.
func resetPostgres(c *pgx.Conn) error {
	ctx, cancel := context.WithTimeout(context.Background(), resetTimeout)
	defer cancel()
	if c.IsClosed() {
		return fmt.Errorf("connection closed")
	}
	if err := c.DeallocateAll(ctx); err != nil {
		return err
	}
	_, err := c.Exec(ctx, "DISCARD ALL")
	return err
}

// resetMySQL sends COM_RESET_CONNECTION (the server rolls back, drops
// temporary tables, prepared statements and user variables, releases
// locks and restores the session variables), then puts back what the
// gateway set when it connected: the UTC session time zone and the
// configured database (USE is not undone by the reset).
func resetMySQL(c *arrowsql.MySQLConn, db string) error {
	deadline := time.Now().Add(resetTimeout)
	if err := c.SetDeadline(deadline); err != nil {
		return err
	}
	defer func() { _ = c.SetDeadline(time.Time{}) }()
	c.ResetSequence()
	if err := c.WritePacket([]byte{0x01, 0x00, 0x00, 0x00, mysql.COM_RESET_CONNECTION}); err != nil {
		return err
	}
	if _, err := c.ReadOKPacket(); err != nil {
		return err
	}
	if _, err := c.Execute("SET time_zone = '+00:00'"); err != nil {
		return err
	}
	if db != "" {
		return c.UseDB(db)
	}
	return nil
}
