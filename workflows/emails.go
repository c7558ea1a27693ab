package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bankforge/bank/activities"
)

// EmailsScheduleID is the Temporal schedule that runs DeliverEmails once per cluster.
const EmailsScheduleID = "bank-emails"

// EmailsInterval is how often the schedule delivers emails unless configured otherwise.
const EmailsInterval = 5 * time.Second

// deliverStep talks to an outside mail server that may be down: a regular activity, so each
// attempt and its error show in the Temporal UI, retried with backoff within the run; what it
// leaves unsent waits in the outbox for the next run. It heartbeats while it runs: an attempt
// whose worker died is retried within HeartbeatTimeout, not after the whole StartToCloseTimeout
// during which the schedule would skip every run.
var deliverStep = workflow.ActivityOptions{
	StartToCloseTimeout:    time.Minute,
	HeartbeatTimeout:       10 * time.Second,
	ScheduleToCloseTimeout: 10 * time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
	},
}

// DeliverEmails sends the emails waiting in the outbox, which the workflows' outcome steps fill.
// The transfers and registrations that wrote them have long closed: a mail server that is down
// holds up nothing but the mail.
func DeliverEmails(ctx workflow.Context) (activities.DeliveryResult, error) {
	var a *activities.Activities
	actx := workflow.WithActivityOptions(ctx, deliverStep)
	var res activities.DeliveryResult
	err := workflow.ExecuteActivity(actx, a.SendPendingEmails).Get(actx, &res)
	return res, err
}
