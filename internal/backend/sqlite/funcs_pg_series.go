package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"time"

	"modernc.org/sqlite/vtab"

	"github.com/floe-db/floe/internal/sqlerr"
)

// generate_series(start, stop[, step]) is a table-valued function: a
// virtual table whose one visible column is named generate_series, as
// PostgreSQL names the column of its function, and whose hidden columns
// take the arguments. The driver's virtual tables are not eponymous, so
// each connection of an engine gets a temp.generate_series table of the
// module when it opens (openDB); SQLite then reads generate_series(1, 3)
// in a FROM clause as that table with its hidden columns bound.
//
// Integers step by an integer (default 1); timestamps by an interval
// text ('1 day'), giving timestamp texts. A step of zero is an error, as
// in PostgreSQL; a series is bounded (maxSeriesRows) so that a mistyped
// step cannot run for ever.

const (
	seriesModule  = "floe_generate_series"
	maxSeriesRows = 100_000_000
)

func registerSeries() {
	if err := vtab.RegisterModule(nil, seriesModule, seriesModuleImpl{}); err != nil {
		panic(fmt.Sprintf("registering %s: %v", seriesModule, err))
	}
}

// openDB opens the database at dsn with the driver registered as
// "sqlite", each of its connections given its temp.generate_series table
// (the driver runs its connection hooks before it registers its virtual
// table modules, so a hook cannot create it).
func openDB(dsn string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	drv := db.Driver()
	_ = db.Close()
	return sql.OpenDB(seriesConnector{dsn: dsn, drv: drv}), nil
}

type seriesConnector struct {
	dsn string
	drv driver.Driver
}

func (c seriesConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		_ = conn.Close()
		return nil, fmt.Errorf("the SQLite driver's connection %T cannot execute statements", conn)
	}
	if _, err := ex.ExecContext(ctx, "CREATE VIRTUAL TABLE IF NOT EXISTS temp.generate_series USING "+seriesModule, nil); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("creating generate_series: %w", err)
	}
	return conn, nil
}

func (c seriesConnector) Driver() driver.Driver { return c.drv }

type seriesModuleImpl struct{}

func (seriesModuleImpl) Create(ctx vtab.Context, _ []string) (vtab.Table, error) {
	return seriesModuleImpl{}.Connect(ctx, nil)
}

func (seriesModuleImpl) Connect(ctx vtab.Context, _ []string) (vtab.Table, error) {
	if err := ctx.Declare("CREATE TABLE x(generate_series, start HIDDEN, stop HIDDEN, step HIDDEN)"); err != nil {
		return nil, err
	}
	return seriesTable{}, nil
}

type seriesTable struct{}

// BestIndex takes the equality constraints on the hidden columns as the
// arguments; idxNum's bits say which were given (1 start, 2 stop, 4 step).
func (seriesTable) BestIndex(info *vtab.IndexInfo) error {
	n := 0
	args := [3]int{-1, -1, -1}
	for i, c := range info.Constraints {
		if c.Column >= 1 && c.Column <= 3 && c.Op == vtab.OpEQ {
			if !c.Usable {
				// The plan without this argument is of no use: make it dear.
				info.EstimatedCost = 1e300
				return nil
			}
			args[c.Column-1] = i
		}
	}
	mask := int64(0)
	for k, i := range args {
		if i >= 0 {
			info.Constraints[i].ArgIndex = n
			info.Constraints[i].Omit = true
			n++
			mask |= 1 << k
		}
	}
	info.IdxNum = mask
	info.EstimatedCost = 1000
	info.EstimatedRows = 1000
	return nil
}

func (seriesTable) Open() (vtab.Cursor, error) { return &seriesCursor{}, nil }
func (seriesTable) Disconnect() error          { return nil }
func (seriesTable) Destroy() error             { return nil }

// seriesCursor walks one series: integers (cur, stop, step) or
// timestamps (ts, tsStop, iv).
type seriesCursor struct {
	isTime          bool
	cur, stop, step int64
	ts, tsStop      time.Time
	iv              interval
	start           time.Time
	rowid           int64
	eof             bool
}

func (c *seriesCursor) Filter(idxNum int, _ string, vals []vtab.Value) error {
	var start, stop, step vtab.Value = nil, nil, int64(1)
	i := 0
	if idxNum&1 != 0 {
		start, i = vals[i], i+1
	}
	if idxNum&2 != 0 {
		stop, i = vals[i], i+1
	}
	if idxNum&4 != 0 {
		step = vals[i]
	}
	if idxNum&3 != 3 {
		return funcError(sqlerr.UndefinedFunction, "generate_series needs a start and a stop")
	}
	c.rowid, c.eof = 1, false
	if start == nil || stop == nil || step == nil {
		c.eof = true
		return nil
	}
	if _, isText := start.(string); isText {
		return c.filterTime(start, stop, step)
	}
	c.isTime = false
	var err error
	if c.cur, err = intOf("generate_series", start); err != nil {
		return err
	}
	if c.stop, err = intOf("generate_series", stop); err != nil {
		return err
	}
	if c.step, err = intOf("generate_series", step); err != nil {
		return err
	}
	if c.step == 0 {
		return funcError(sqlerr.InvalidParameterValue, "step size cannot equal zero")
	}
	c.eof = (c.step > 0 && c.cur > c.stop) || (c.step < 0 && c.cur < c.stop)
	if span := (c.stop - c.cur) / c.step; span > maxSeriesRows {
		return funcError(sqlerr.ProgramLimitExceeded, "generate_series of more than %d rows is not supported by the embedded SQLite engine", maxSeriesRows)
	}
	return nil
}

func (c *seriesCursor) filterTime(start, stop, step driver.Value) error {
	c.isTime = true
	var err error
	if c.start, err = parseTimestamp(start); err != nil {
		return err
	}
	if c.tsStop, err = parseTimestamp(stop); err != nil {
		return err
	}
	if c.iv, err = parseInterval(step); err != nil {
		return err
	}
	if c.iv == (interval{}) {
		return funcError(sqlerr.InvalidParameterValue, "step size cannot equal zero")
	}
	c.ts = c.start
	c.eof = c.past()
	return nil
}

// past reports whether the timestamp series has gone beyond its stop
// (the direction is the step's, read from where the step takes start).
func (c *seriesCursor) past() bool {
	if addInterval(c.start, c.iv).After(c.start) {
		return c.ts.After(c.tsStop)
	}
	return c.ts.Before(c.tsStop)
}

func (c *seriesCursor) Next() error {
	c.rowid++
	if c.rowid > maxSeriesRows {
		return funcError(sqlerr.ProgramLimitExceeded, "generate_series of more than %d rows is not supported by the embedded SQLite engine", maxSeriesRows)
	}
	if c.isTime {
		// As PostgreSQL does, the step is added to the previous value
		// (so month steps clamp from the day they reached).
		c.ts = addInterval(c.ts, c.iv)
		c.eof = c.past()
		return nil
	}
	next := c.cur + c.step
	if (c.step > 0 && next < c.cur) || (c.step < 0 && next > c.cur) {
		c.eof = true // overflow: past any stop
		return nil
	}
	c.cur = next
	c.eof = (c.step > 0 && c.cur > c.stop) || (c.step < 0 && c.cur < c.stop)
	return nil
}

func (c *seriesCursor) Eof() bool { return c.eof }

func (c *seriesCursor) Column(col int) (vtab.Value, error) {
	if col != 0 {
		return nil, nil
	}
	if c.isTime {
		return tsText(c.ts), nil
	}
	return c.cur, nil
}

func (c *seriesCursor) Rowid() (int64, error) { return c.rowid, nil }
func (c *seriesCursor) Close() error          { return nil }
