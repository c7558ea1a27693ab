package logctx

import (
	"context"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"
)

// requestIDHeader is the Temporal header that carries the request id from the API's workflow start
// into the workflow and from the workflow into its activities.
const requestIDHeader = "bank-request-id"

// Propagator carries the request id of a context through Temporal headers: from the context a
// workflow is started with into the workflow's context, from there into the contexts of its
// activities (local ones too) and child workflows. Set it on the Temporal client of every process
// (client.Options.ContextPropagators): its workers take it from the client.
func Propagator() workflow.ContextPropagator { return propagator{} }

type propagator struct{}

func (propagator) Inject(ctx context.Context, w workflow.HeaderWriter) error {
	return inject(RequestID(ctx), w)
}

func (propagator) InjectFromWorkflow(ctx workflow.Context, w workflow.HeaderWriter) error {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return inject(id, w)
}

func (propagator) Extract(ctx context.Context, r workflow.HeaderReader) (context.Context, error) {
	if id := extract(r); id != "" {
		return WithRequestID(ctx, id), nil
	}
	return ctx, nil
}

func (propagator) ExtractToWorkflow(ctx workflow.Context, r workflow.HeaderReader) (workflow.Context, error) {
	if id := extract(r); id != "" {
		return workflow.WithValue(ctx, requestIDKey{}, id), nil
	}
	return ctx, nil
}

func inject(id string, w workflow.HeaderWriter) error {
	if id == "" {
		return nil
	}
	p, err := converter.GetDefaultDataConverter().ToPayload(id)
	if err != nil {
		return err
	}
	w.Set(requestIDHeader, p)
	return nil
}

// extract returns the request id in r's header, or "" when there is none or it is not one. A bad
// header never fails a workflow or an activity: its log lines just go without the id.
func extract(r workflow.HeaderReader) string {
	p, ok := r.Get(requestIDHeader)
	if !ok {
		return ""
	}
	var id string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &id); err != nil || len(id) > maxRequestID {
		return ""
	}
	return id
}

// Interceptor adds request_id to the loggers of workflows (workflow.GetLogger) and activities
// (activity.GetLogger) that run for a request, as Propagator carried it. Set it on the Temporal
// client (client.Options.Interceptors): its workers take it from the client.
func Interceptor() interceptor.Interceptor { return &requestLogs{} }

type requestLogs struct{ interceptor.InterceptorBase }

func (*requestLogs) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &activityInbound{}
	i.Next = next
	return i
}

func (*requestLogs) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	i := &workflowInbound{}
	i.Next = next
	return i
}

type activityInbound struct {
	interceptor.ActivityInboundInterceptorBase
}

func (i *activityInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	o := &activityOutbound{}
	o.Next = outbound
	return i.Next.Init(o)
}

type activityOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
}

func (o *activityOutbound) GetLogger(ctx context.Context) log.Logger {
	logger := o.Next.GetLogger(ctx)
	if id := RequestID(ctx); id != "" {
		return log.With(logger, RequestIDKey, id)
	}
	return logger
}

type workflowInbound struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (i *workflowInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	o := &workflowOutbound{}
	o.Next = outbound
	return i.Next.Init(o)
}

type workflowOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
}

func (o *workflowOutbound) GetLogger(ctx workflow.Context) log.Logger {
	logger := o.Next.GetLogger(ctx)
	if id, _ := ctx.Value(requestIDKey{}).(string); id != "" {
		return log.With(logger, RequestIDKey, id)
	}
	return logger
}
