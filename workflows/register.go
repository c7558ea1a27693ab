package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/domain"
)

// RegisterInput starts a registration. The credentials stay in PostgreSQL under RegistrationID:
// no password or hash ever enters a workflow's history.
type RegisterInput struct {
	RegistrationID string
	Currency       string
}

// RegisterResult is what a completed registration created, or, when a rule refused it (the email
// is taken), the refusal's code and nothing else.
type RegisterResult struct {
	UserID        string      `json:"user_id,omitempty"`
	AccountID     string      `json:"account_id,omitempty"`
	AccountNumber string      `json:"account_number,omitempty"`
	Currency      string      `json:"currency,omitempty"`
	FailureCode   domain.Code `json:"failure_code,omitempty"`
}

// Register creates the user and their first account, records the registration in the audit log and
// the user's inbox with its welcome email (sent by DeliverEmails), and lets the user log in. If a step fails for good before
// the user can log in, the saga abandons the registration: nothing half-created remains. A refusal
// completes the workflow with its code; only a failure an operator must look at fails it.
func Register(ctx workflow.Context, in RegisterInput) (RegisterResult, error) {
	var a *activities.Activities
	logger := workflow.GetLogger(ctx)
	opID := workflow.GetInfo(ctx).WorkflowExecution.ID
	lctx := workflow.WithLocalActivityOptions(ctx, checkStep)

	var s saga
	var failure domain.Code // why the registration failed, set before the saga compensates
	// Abandoning is keyed by the registration and removes whatever exists of it, so it is the
	// compensation of every step before the user can log in.
	s.add(func(ctx workflow.Context) error {
		return workflow.ExecuteLocalActivity(ctx, a.AbandonRegistration, activities.AbandonRegistrationInput{
			RegistrationID: in.RegistrationID,
			Code:           failure,
		}).Get(ctx, nil)
	})
	fail := func(step string, cause error) (RegisterResult, error) {
		code := codeOf(cause)
		failure = code
		logger.Warn("registration failed", "step", step, "code", string(code), "error", cause)
		if err := s.compensate(ctx); err != nil {
			logger.Error("abandoning registration failed", "error", err)
			return RegisterResult{}, refusal(code, cause)
		}
		if isRefusal(cause) {
			return RegisterResult{FailureCode: code}, nil
		}
		return RegisterResult{}, refusal(code, cause)
	}

	var user activities.CreateUserResult
	ref := activities.RegistrationRef{RegistrationID: in.RegistrationID}
	if err := workflow.ExecuteLocalActivity(lctx, a.CreateUser, ref).Get(lctx, &user); err != nil {
		return fail("create_user", err)
	}
	ref.UserID = user.UserID
	if err := workflow.UpsertTypedSearchAttributes(ctx, UserIDsKey.ValueSet([]string{user.UserID})); err != nil {
		logger.Error("tagging registration with its user failed", "error", err)
	}

	var account activities.OpenAccountResult
	if err := workflow.ExecuteLocalActivity(lctx, a.OpenAccount, activities.OpenAccountInput{
		UserID:      user.UserID,
		Currency:    in.Currency,
		OperationID: opID + "/open-account",
	}).Get(lctx, &account); err != nil {
		return fail("open_account", err)
	}

	record := activities.RecordRegistrationInput{
		RegistrationID: in.RegistrationID,
		UserID:         user.UserID,
		AccountNumber:  account.Number,
		Currency:       in.Currency,
	}
	if err := workflow.ExecuteLocalActivity(lctx, a.RecordRegistration, record).Get(lctx, nil); err != nil {
		return fail("record", err)
	}
	if err := workflow.ExecuteLocalActivity(lctx, a.CompleteRegistration, ref).Get(lctx, nil); err != nil {
		return fail("complete", err)
	}

	return RegisterResult{
		UserID:        user.UserID,
		AccountID:     account.AccountID,
		AccountNumber: account.Number,
		Currency:      in.Currency,
	}, nil
}
