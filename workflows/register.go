package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/bankforge/bank/activities"
)

// RegisterInput starts a registration. The credentials stay in PostgreSQL under RegistrationID:
// no password or hash ever enters a workflow's history.
type RegisterInput struct {
	RegistrationID string
	Currency       string
}

// RegisterResult is what a completed registration created.
type RegisterResult struct {
	UserID        string `json:"user_id"`
	AccountID     string `json:"account_id"`
	AccountNumber string `json:"account_number"`
	Currency      string `json:"currency"`
}

// Register creates the user and their first account, records the registration in the audit log,
// lets the user log in and welcomes them. If a step fails for good before the user can log in,
// the registration is abandoned: nothing half-created remains.
func Register(ctx workflow.Context, in RegisterInput) (RegisterResult, error) {
	var a *activities.Activities
	logger := workflow.GetLogger(ctx)
	opID := workflow.GetInfo(ctx).WorkflowExecution.ID
	lctx := workflow.WithLocalActivityOptions(ctx, checkStep)

	abandon := func(step string, cause error) (RegisterResult, error) {
		errType := errorType(cause)
		logger.Warn("registration failed", "step", step, "error_type", errType, "error", cause)
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		dctx = workflow.WithLocalActivityOptions(dctx, mustFinishStep)
		err := workflow.ExecuteLocalActivity(dctx, a.AbandonRegistration, activities.AbandonRegistrationInput{
			RegistrationID: in.RegistrationID,
			Reason:         errType,
		}).Get(dctx, nil)
		if err != nil {
			logger.Error("abandoning registration failed", "error", err)
		}
		return RegisterResult{}, refusal(errType, cause)
	}

	var user activities.CreateUserResult
	ref := activities.RegistrationRef{RegistrationID: in.RegistrationID}
	if err := workflow.ExecuteLocalActivity(lctx, a.CreateUser, ref).Get(lctx, &user); err != nil {
		return abandon("create_user", err)
	}
	ref.UserID = user.UserID

	var account activities.OpenAccountResult
	if err := workflow.ExecuteLocalActivity(lctx, a.OpenAccount, activities.OpenAccountInput{
		UserID:      user.UserID,
		Currency:    in.Currency,
		OperationID: opID + "/open-account",
	}).Get(lctx, &account); err != nil {
		return abandon("open_account", err)
	}

	record := activities.RecordRegistrationInput{
		RegistrationID: in.RegistrationID,
		UserID:         user.UserID,
		AccountNumber:  account.Number,
		Currency:       in.Currency,
	}
	if err := workflow.ExecuteLocalActivity(lctx, a.RecordRegistration, record).Get(lctx, nil); err != nil {
		return abandon("record", err)
	}
	if err := workflow.ExecuteLocalActivity(lctx, a.CompleteRegistration, ref).Get(lctx, nil); err != nil {
		return abandon("complete", err)
	}

	// The user exists and can log in: a welcome email that cannot be sent is logged, not undone.
	if err := workflow.ExecuteLocalActivity(lctx, a.SendWelcomeEmail, record).Get(lctx, nil); err != nil {
		logger.Error("welcome email not sent", "user_id", user.UserID, "error", err)
	}
	return RegisterResult{
		UserID:        user.UserID,
		AccountID:     account.AccountID,
		AccountNumber: account.Number,
		Currency:      in.Currency,
	}, nil
}
