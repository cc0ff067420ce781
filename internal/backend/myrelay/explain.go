package myrelay

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/floe-db/floe/internal/backend"
	"github.com/floe-db/floe/internal/insight"
)

var _ insight.Explainer = (*Relay)(nil)

// Explain captures the plan of q.SQL for the slow-statement log: on a
// connection of its own (never a client's or a pooled one), logged in as
// the backend login q.Roles run as, so the plan can show nothing that
// login may not read; the session is read-only and its statements are
// bounded by q.Timeout (max_statement_time on MariaDB,
// max_execution_time on MySQL, and the connection's deadline). EXPLAIN
// FORMAT=JSON plans the statement without running it; it is sent as a
// prepared statement (one statement only) with q.Args as its values.
func (r *Relay) Explain(ctx context.Context, q insight.ExplainRequest) (string, []byte, error) {
	login, err := r.logins.For(q.Roles)
	if err != nil {
		return "", nil, err
	}
	srv := r.servers[r.cluster.Writer()]
	for _, s := range r.servers {
		if q.Server != "" && (q.Server == s.name || q.Server == s.at.Load().dsn.addr) {
			srv = s
		}
	}
	d := srv.at.Load().dsn
	if login > 0 {
		if d.user, d.password, err = r.logins.Creds(login); err != nil {
			return "", nil, err
		}
	}
	timeout := q.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cl, err := client.ConnectWithContext(ctx, d.addr, d.user, d.password, d.db, timeout, func(c *client.Conn) error {
		if d.tls != nil {
			c.SetTLSConfig(backend.WithGroups(d.tls, r.opts.Load().TLSGroups))
		}
		c.SetAttributes(map[string]string{"program_name": "floe-explain"})
		return nil
	})
	if err != nil {
		return "", nil, explainErr(err)
	}
	defer cl.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = cl.Conn.SetDeadline(dl)
	}
	if _, err := cl.Execute("SET SESSION TRANSACTION READ ONLY"); err != nil {
		return "", nil, explainErr(err)
	}
	// One of the two exists (MariaDB: seconds; MySQL: milliseconds).
	if _, err := cl.Execute("SET SESSION max_statement_time = " + strconv.FormatFloat(timeout.Seconds(), 'f', 3, 64)); err != nil {
		if _, err := cl.Execute("SET SESSION max_execution_time = " + strconv.FormatInt(timeout.Milliseconds(), 10)); err != nil {
			return "", nil, explainErr(err)
		}
	}
	st, err := cl.Prepare("EXPLAIN FORMAT=JSON " + q.SQL)
	if err != nil {
		return "", nil, explainErr(err)
	}
	defer func() { _ = st.Close() }()
	var args []any
	if q.Args != nil {
		args = q.Args.Any
	}
	if st.ParamNum() != len(args) {
		return "", nil, errors.New("the statement's parameter values are not known")
	}
	res, err := st.Execute(args...)
	if err != nil {
		return "", nil, explainErr(err)
	}
	defer res.Close()
	if res.Resultset == nil || len(res.Values) == 0 || len(res.Values[0]) == 0 {
		return "", nil, errors.New("EXPLAIN returned no plan")
	}
	v := res.Values[0][0]
	if b := v.AsString(); len(b) > 0 {
		return insight.FormatMySQL, append([]byte(nil), b...), nil
	}
	return "", nil, errors.New("EXPLAIN returned no plan")
}

// explainErr is the server's refusal as an insight.ServerError (the
// error number and message), or err described.
func explainErr(err error) error {
	var me *gomysql.MyError
	if errors.As(err, &me) {
		return &insight.ServerError{Code: strconv.Itoa(int(me.Code)), Message: me.Message}
	}
	return errors.New(describeErr(err))
}
