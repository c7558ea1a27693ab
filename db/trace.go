package db

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// queryTracer makes a client span of every query a connection runs, named after its sqlc query
// (GetAccountForUpdate), or after its first keyword for SQL written by hand (BEGIN, COMMIT). A span
// carries the SQL with its placeholders, never the values bound to them.
type queryTracer struct {
	tracer trace.Tracer
}

func newQueryTracer(tp trace.TracerProvider) *queryTracer {
	return &queryTracer{tracer: tp.Tracer("github.com/bankforge/bank/db")}
}

var _ pgx.QueryTracer = (*queryTracer)(nil)

func (t *queryTracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	name, op := queryName(data.SQL)
	attrs := []attribute.KeyValue{semconv.DBSystemNamePostgreSQL, semconv.DBOperationName(op), semconv.DBQueryText(data.SQL)}
	if conn != nil {
		attrs = append(attrs, semconv.DBNamespace(conn.Config().Database))
	}
	ctx, _ = t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return ctx
}

func (t *queryTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	span := trace.SpanFromContext(ctx)
	if err := data.Err; err != nil && !errors.Is(err, pgx.ErrNoRows) {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			span.SetAttributes(semconv.DBResponseStatusCode(pgErr.Code))
		}
		span.RecordError(err)
		span.SetStatus(codes.Error, "query failed")
	}
	span.End()
}

// queryName returns the name of the query sql and the SQL keyword it starts with: sqlc's name from
// its "-- name: GetAccount :one" line, or else the keyword.
func queryName(sql string) (name, op string) {
	rest := strings.TrimSpace(sql)
	if after, ok := strings.CutPrefix(rest, "-- name: "); ok {
		line, body, _ := strings.Cut(after, "\n")
		name, _, _ = strings.Cut(strings.TrimSpace(line), " ")
		rest = strings.TrimSpace(body)
	}
	for strings.HasPrefix(rest, "--") { // other comment lines
		_, rest, _ = strings.Cut(rest, "\n")
		rest = strings.TrimSpace(rest)
	}
	op = "QUERY"
	if words := strings.Fields(rest); len(words) > 0 {
		op = strings.ToUpper(strings.TrimRight(words[0], ";"))
	}
	if name == "" {
		name = op
	}
	return name, op
}
