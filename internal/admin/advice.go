package admin

import (
	"context"
	"net/http"
	"strconv"

	"github.com/floe-db/floe/internal/advise"
)

// AdviceQuery selects index advice: one database ("" for all), cut to
// what a gateway user may run ("" for everything), computed anew when
// Refresh is set.
type AdviceQuery struct {
	Database string
	User     string
	Refresh  bool
}

// Advisor is a Gateway that computes index advice (GET /api/v1/advice).
// ok is false when the query's user is unknown.
type Advisor interface {
	Advice(ctx context.Context, q AdviceQuery) (reports []advise.Report, ok bool)
}

func (a *api) serveAdvice(w http.ResponseWriter, r *http.Request, _ Principal) {
	adv, ok := a.gw.(Advisor)
	if !ok {
		writeError(w, http.StatusNotImplemented, "not_implemented", "this gateway computes no index advice")
		return
	}
	q := AdviceQuery{Database: r.URL.Query().Get("database"), User: r.URL.Query().Get("user")}
	if s := r.URL.Query().Get("refresh"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "refresh: want true or false")
			return
		}
		q.Refresh = b
	}
	reports, ok := adv.Advice(r.Context(), q)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no such user: "+q.User)
		return
	}
	if q.Database != "" && len(reports) == 0 && q.User == "" {
		writeError(w, http.StatusNotFound, "not_found", "no PostgreSQL or MySQL database with advice on is named "+q.Database)
		return
	}
	if reports == nil {
		reports = []advise.Report{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"reports": reports})
}
