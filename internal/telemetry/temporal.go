package telemetry

import (
	"go.opentelemetry.io/otel/trace"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"

	"github.com/bankforge/bank/internal/logctx"
)

// TemporalTracing returns the Temporal interceptor that makes spans of tp: StartWorkflow and
// SignalWithStartWorkflow where a client starts a workflow (a child of the span in the caller's
// context, such as a request's), RunWorkflow where a worker runs it, StartActivity where the
// workflow schedules an activity and RunActivity where a worker runs it (local activities too).
// The trace crosses processes in the workflow's and activities' Temporal headers. Workflow and
// activity loggers carry the span's trace_id and span_id. Set it on the Temporal client
// (client.Options.Interceptors): its workers take it from the client.
func TemporalTracing(tp trace.TracerProvider) (interceptor.Interceptor, error) {
	t, err := temporalotel.NewTracer(temporalotel.TracerOptions{Tracer: tp.Tracer("go.temporal.io/sdk")})
	if err != nil {
		return nil, err
	}
	return interceptor.NewTracingInterceptor(snakeCaseLogFields{t}), nil
}

// snakeCaseLogFields writes the span into workflow and activity loggers under the bank's log field
// names (trace_id, span_id), as logctx's handler writes them into every other log line.
type snakeCaseLogFields struct{ interceptor.Tracer }

func (snakeCaseLogFields) GetLogger(logger log.Logger, ref interceptor.TracerSpanRef) log.Logger {
	span, ok := ref.(interface{ SpanContext() trace.SpanContext })
	if !ok || !span.SpanContext().IsValid() {
		return logger
	}
	sc := span.SpanContext()
	return log.With(logger, logctx.TraceIDKey, sc.TraceID().String(), logctx.SpanIDKey, sc.SpanID().String())
}
