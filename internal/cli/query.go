package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/backend/sqlite"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/dataapi"
	"github.com/floe-db/floe/internal/secrets"
)

type queryFlags struct {
	config, server, db, format, out, user, token string
	batch                                        int
	partColumn                                   string
	partitions                                   int
}

func queryCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var f queryFlags
	cmd := &cobra.Command{
		Use:   "query [flags] SQL",
		Short: "Run SQL on a database of the config, or through a running gateway, and write the result",
		Long: `Runs one statement and writes its result: a table on a terminal, or csv, json,
ndjson, arrow (IPC stream) or parquet to --out (or stdout).

With --server, the statement goes through a running gateway's HTTP API as the
gateway user --user (password from $FLOE_PASSWORD, or asked on a terminal) or
with a bearer token (--token or $FLOE_TOKEN), under that user's policy.
Otherwise it runs directly on the database --db of the config file with the
config's backend credentials.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runQuery(cmd.Context(), f, args[0], stdin, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "config file (default $FLOE_CONFIG or ./floe.yaml)")
	fl.StringVar(&f.server, "server", "", "a running gateway's HTTP API, e.g. http://127.0.0.1:8080")
	fl.StringVar(&f.db, "db", "", "database name (default: the only database of the config)")
	fl.StringVar(&f.format, "format", "", "table, csv, json, ndjson, arrow or parquet (default: table on a terminal, else csv)")
	fl.StringVarP(&f.out, "out", "o", "", "write to this file instead of stdout")
	fl.StringVar(&f.user, "user", os.Getenv("FLOE_USER"), "gateway user for --server (default $FLOE_USER)")
	fl.StringVar(&f.token, "token", "", "bearer token for --server (default $FLOE_TOKEN)")
	fl.IntVar(&f.batch, "batch-rows", 0, "rows per Arrow batch (default 65536)")
	fl.StringVar(&f.partColumn, "partition-column", "", "with --config: split the query on this numeric column into ranges run in parallel")
	fl.IntVar(&f.partitions, "partitions", 4, "with --partition-column: the number of ranges (and connections)")
	return cmd
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func runQuery(ctx context.Context, f queryFlags, q string, stdin io.Reader, stdout, stderr io.Writer) error {
	var out io.Writer = stdout
	if f.out != "" {
		file, err := os.Create(f.out)
		if err != nil {
			return err
		}
		defer file.Close()
		out = file
	}
	format := f.format
	if format == "" {
		format = "csv"
		if f.out == "" && isTerminal(stdout) {
			format = "table"
		}
	}
	var rw dataapi.ResultWriter
	counter := &countingWriter{w: out}
	if format == "table" {
		rw = &tableWriter{w: counter}
	} else {
		ff, ok := dataapi.ParseFormat(format)
		if !ok {
			return fmt.Errorf("unknown format %q (table, csv, json, ndjson, arrow, parquet)", format)
		}
		rw = dataapi.NewResultWriter(ff, counter)
	}
	var src rowSource
	var err error
	if f.server != "" {
		src, err = serverSource(ctx, f, q, stdin, stderr)
	} else {
		src, err = configSource(ctx, f, q)
	}
	if err != nil {
		return err
	}
	defer src.Release()

	var bar *progressbar.ProgressBar
	if format != "table" && isTerminal(stderr) && (f.out != "" || !isTerminal(stdout)) {
		bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription("0 rows"), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(), progressbar.OptionSpinnerType(14))
	}
	if err := rw.Begin(src.Schema()); err != nil {
		return err
	}
	var rows int64
	last := int64(0)
	for src.Next() {
		b := src.RecordBatch()
		if err := rw.Write(b); err != nil {
			return err
		}
		rows += b.NumRows()
		if bar != nil {
			bar.Describe(fmt.Sprintf("%d rows", rows))
			_ = bar.Add64(counter.n - last)
			last = counter.n
		}
	}
	if err := src.Err(); err != nil {
		return err
	}
	if err := rw.End(); err != nil {
		return err
	}
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintf(stderr, "%d rows, %d bytes\n", rows, counter.n)
	} else if format == "table" {
		fmt.Fprintf(out, "(%d rows)\n", rows)
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// rowSource is a result being read: an Arrow stream.
type rowSource interface {
	Schema() *arrow.Schema
	Next() bool
	RecordBatch() arrow.RecordBatch
	Err() error
	Release()
}

// configSource runs q directly on a database of the config file.
func configSource(ctx context.Context, f queryFlags, q string) (rowSource, error) {
	path := findConfig(f.config)
	if path == "" {
		return nil, errors.New("no config file: pass --config FILE, or --server URL to go through a running gateway")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	// Only the database the query runs on needs its secrets.
	cfg, err := config.ParseWith(path, data, config.LoadOptions{Vault: secrets.OpenVault, Cloud: secrets.NewCache(secrets.CacheOptions{}).Opener(), Resolve: config.OnlyDatabase(data, f.db)})
	if err != nil {
		return nil, err
	}
	var db *config.Database
	for i := range cfg.Databases {
		if cfg.Databases[i].Name == f.db || f.db == "" && len(cfg.Databases) == 1 {
			db = &cfg.Databases[i]
		}
	}
	if db == nil {
		names := make([]string, len(cfg.Databases))
		for i, d := range cfg.Databases {
			names[i] = d.Name
		}
		if f.db == "" {
			return nil, fmt.Errorf("the config has several databases; choose one with --db (%s)", strings.Join(names, ", "))
		}
		return nil, fmt.Errorf("no database %q in %s (%s)", f.db, path, strings.Join(names, ", "))
	}
	var src dataapi.Source
	var closeFn func()
	switch db.Kind {
	case config.KindPostgres:
		src, err = dataapi.NewPostgres(*db)
	case config.KindMySQL:
		src, err = dataapi.NewMySQL(*db)
	case config.KindSQLite:
		var sdb *sql.DB
		if sdb, err = sqlite.OpenReadOnly(ctx, db.Path); err == nil {
			src, closeFn = dataapi.NewSQLite(sdb), func() { sdb.Close() }
		}
	}
	if err != nil {
		return nil, err
	}
	if closeFn == nil {
		closeFn = src.Close
	}
	opts := arrowsql.Options{BatchRows: f.batch}
	var r array.RecordReader
	if f.partColumn != "" {
		part := arrowsql.Partitioning{Column: f.partColumn, Partitions: f.partitions}
		if db.Kind == config.KindMySQL {
			part.Dialect = arrowsql.DialectMySQL
		}
		r, err = arrowsql.QueryPartitioned(ctx, src.Query, q, nil, part, opts)
	} else {
		r, err = src.Query(ctx, q, nil, opts)
	}
	if err != nil {
		closeFn()
		return nil, err
	}
	return &closingSource{RecordReader: r, close: closeFn}, nil
}

type closingSource struct {
	array.RecordReader
	close func()
}

func (c *closingSource) Release() { c.RecordReader.Release(); c.close() }

// serverSource runs q through a gateway's HTTP API, reading Arrow.
func serverSource(ctx context.Context, f queryFlags, q string, stdin io.Reader, stderr io.Writer) (rowSource, error) {
	if f.db == "" {
		return nil, errors.New("--db is required with --server")
	}
	if f.partColumn != "" {
		return nil, errors.New("--partition-column works with --config (the gateway's HTTP API runs one statement per request)")
	}
	body, _ := json.Marshal(dataapi.QueryRequest{Database: f.db, SQL: q})
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimSuffix(f.server, "/")+"/v1/query", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", dataapi.FormatArrow.MediaType())
	token := f.token
	if token == "" {
		token = os.Getenv("FLOE_TOKEN")
	}
	switch {
	case token != "":
		req.Header.Set("Authorization", "Bearer "+token)
	case f.user != "":
		pw, ok := os.LookupEnv("FLOE_PASSWORD")
		if !ok {
			if pw, err = readPassword(stdin, stderr); err != nil {
				return nil, err
			}
		}
		req.SetBasicAuth(f.user, pw)
	default:
		return nil, errors.New("--server needs --user (password from $FLOE_PASSWORD) or --token")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		defer resp.Body.Close()
		return nil, httpError(resp)
	}
	rdr, err := ipc.NewReader(resp.Body)
	if err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("reading the result: %w", err)
	}
	return &httpSource{Reader: rdr, resp: resp}, nil
}

// httpError reads an error answer.
func httpError(resp *http.Response) error {
	var e struct{ Error dataapi.Error }
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		if e.Error.SQLState != "" {
			return fmt.Errorf("%s (SQLSTATE %s)", e.Error.Message, e.Error.SQLState)
		}
		return errors.New(e.Error.Message)
	}
	return fmt.Errorf("the gateway answered %s", resp.Status)
}

// httpSource is an Arrow stream from the HTTP API; its end is only a
// success when the trailers say so.
type httpSource struct {
	*ipc.Reader
	resp *http.Response
	err  error
}

func (h *httpSource) Next() bool {
	if h.Reader.Next() {
		return true
	}
	if h.err == nil {
		h.err = h.Reader.Err()
	}
	if h.err == nil {
		_, _ = io.Copy(io.Discard, h.resp.Body)
		if h.resp.Trailer.Get(dataapi.TrailerStatus) != "ok" {
			var e dataapi.Error
			if json.Unmarshal([]byte(h.resp.Trailer.Get(dataapi.TrailerError)), &e) == nil && e.Message != "" {
				h.err = fmt.Errorf("the result was cut short: %s (SQLSTATE %s)", e.Message, e.SQLState)
			} else {
				h.err = errors.New("the result was cut short")
			}
		}
	}
	return false
}

func (h *httpSource) Err() error { return h.err }
func (h *httpSource) Release()   { h.Reader.Release(); h.resp.Body.Close() }

// tableWriter prints an aligned table; column widths come from the
// header and the first batch (capped), later values are cut to fit.
type tableWriter struct {
	w      io.Writer
	names  []string
	widths []int
	buf    []byte
}

const maxCell = 40

func (t *tableWriter) Begin(s *arrow.Schema) error {
	for _, f := range s.Fields() {
		t.names = append(t.names, f.Name)
		t.widths = append(t.widths, min(utf8.RuneCountInString(f.Name), maxCell))
	}
	return nil
}

func (t *tableWriter) cell(b arrow.RecordBatch, c, r int) string {
	col := b.Column(c)
	if col.IsNull(r) {
		return ""
	}
	t.buf = dataapi.AppendText(t.buf[:0], col, r)
	s := strings.ReplaceAll(string(t.buf), "\n", "↵")
	if utf8.RuneCountInString(s) > maxCell {
		s = string([]rune(s)[:maxCell-1]) + "…"
	}
	return s
}

func (t *tableWriter) line(cells []string) {
	var sb strings.Builder
	for i, c := range cells {
		if i > 0 {
			sb.WriteString(" | ")
		}
		sb.WriteString(c)
		if i < len(cells)-1 {
			sb.WriteString(strings.Repeat(" ", max(0, t.widths[i]-utf8.RuneCountInString(c))))
		}
	}
	sb.WriteByte('\n')
	_, _ = io.WriteString(t.w, sb.String())
}

func (t *tableWriter) Write(b arrow.RecordBatch) error {
	first := t.buf == nil
	if first {
		t.buf = []byte{}
		for r := 0; r < int(b.NumRows()); r++ {
			for c := range t.names {
				t.widths[c] = max(t.widths[c], utf8.RuneCountInString(t.cell(b, c, r)))
			}
		}
		t.line(t.names)
		seps := make([]string, len(t.names))
		for i, w := range t.widths {
			seps[i] = strings.Repeat("-", w)
		}
		t.line(seps)
	}
	cells := make([]string, len(t.names))
	for r := 0; r < int(b.NumRows()); r++ {
		for c := range t.names {
			cells[c] = t.cell(b, c, r)
		}
		t.line(cells)
	}
	return nil
}

func (t *tableWriter) End() error {
	if t.buf == nil {
		t.line(t.names)
	}
	return nil
}

func (t *tableWriter) Fail(*dataapi.Error) {}
