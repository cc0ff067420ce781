package pgrelay

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/floe-db/floe/internal/insight"
)

var _ insight.Explainer = (*Relay)(nil)

// Explain captures the plan of q.SQL for the slow-statement log: on a
// connection of its own (never a client's or a pooled one), logged in as
// the backend login q.Roles run as, so the plan can show nothing that
// login may not read; the session is read-only and its statement_timeout
// is q.Timeout. EXPLAIN without ANALYZE plans the statement and never
// runs it; it goes by the extended protocol (one statement only), with
// q.Args as its parameter values.
func (r *Relay) Explain(ctx context.Context, q insight.ExplainRequest) (string, []byte, error) {
	login, err := r.loginFor(q.Roles)
	if err != nil {
		return "", nil, err
	}
	srv := r.servers[r.cluster.Writer()]
	for _, s := range r.servers {
		cc := s.connCfg.Load()
		if q.Server != "" && (q.Server == s.name || q.Server == net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port)))) {
			srv = s
		}
	}
	cc := r.connConfig(srv).Copy()
	if login > 0 {
		user, password, err := r.logins.Creds(login)
		if err != nil {
			return "", nil, err
		}
		cc.User, cc.Password = user, password
	}
	timeout := q.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	cc.ConnectTimeout = timeout
	cc.RuntimeParams["statement_timeout"] = strconv.FormatInt(timeout.Milliseconds(), 10)
	cc.RuntimeParams["default_transaction_read_only"] = "on"
	cc.RuntimeParams["application_name"] = "floe-explain"
	conn, err := pgconn.ConnectConfig(ctx, cc)
	if err != nil {
		return "", nil, errors.New(describeConnectErr(err))
	}
	defer func() { _ = conn.Close(context.Background()) }()
	var vals [][]byte
	var types []uint32
	var formats []int16
	if a := q.Args; a != nil {
		vals, formats = a.Values, a.Formats
		if len(a.Types) == len(vals) {
			types = a.Types
		} else {
			types = make([]uint32, len(vals))
			copy(types, a.Types)
		}
	}
	res := conn.ExecParams(ctx, "EXPLAIN (FORMAT JSON) "+q.SQL, vals, types, formats, nil).Read()
	if res.Err != nil {
		var pe *pgconn.PgError
		if errors.As(res.Err, &pe) {
			return "", nil, &insight.ServerError{Code: pe.Code, Message: pe.Message}
		}
		return "", nil, res.Err
	}
	if len(res.Rows) == 0 || len(res.Rows[0]) == 0 {
		return "", nil, errors.New("EXPLAIN returned no plan")
	}
	return insight.FormatPostgres, res.Rows[0][0], nil
}
