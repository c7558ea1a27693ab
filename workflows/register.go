package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"
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

// RegisterResult is what a completed registration answers: the same whether it created the user or
// found the email taken, and nothing of what it created, for anyone holding the operation's id can
// read it.
type RegisterResult struct {
	Next domain.NextStep `json:"next"`
}

// Registered is the result of every completed registration.
func Registered() RegisterResult { return RegisterResult{Next: domain.NextLogIn} }

// Register creates the user and their first account, records the registration in the audit log and
// the user's inbox with its welcome email (sent by DeliverEmails), and lets the user log in. If a step fails for good before
// the user can log in, the saga abandons the registration: nothing half-created remains, and the
// workflow fails for an operator to look at. When the email is taken, the registration is abandoned
// after telling the address's owner by email, and completes as one that created its user does, so
// that neither its answer nor its result tells which emails have accounts.
func Register(ctx workflow.Context, in RegisterInput) (RegisterResult, error) {
	return register(ctx, in, tagRegistrationEnd)
}

// registrationStatusChange marks the runs of Register that tag their end in BankRegistrationStatus.
const registrationStatusChange = "tag-registration-status"

// tagRegistrationEnd sets the registration's BankRegistrationStatus to how it ended (completed, or
// failed with its BankFailureCode), so that operators find the failed ones. Runs started before
// the tag existed (workflow.GetVersion answers DefaultVersion as they replay) end without it, as
// their histories say they did: the upsert would be a command their histories lack.
func tagRegistrationEnd(ctx workflow.Context, status domain.OperationStatus, code domain.Code) {
	if workflow.GetVersion(ctx, registrationStatusChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	upsertRegistrationEnd(ctx, status, code)
}

func upsertRegistrationEnd(ctx workflow.Context, status domain.OperationStatus, code domain.Code) {
	tags := []temporal.SearchAttributeUpdate{RegistrationStatusKey.ValueSet(string(status))}
	if code != "" {
		tags = append(tags, FailureCodeKey.ValueSet(string(code)))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, tags...); err != nil {
		workflow.GetLogger(ctx).Error("tagging registration status failed", "error", err)
	}
}

// register is Register with the function that tags its end.
func register(ctx workflow.Context, in RegisterInput, tagEnd func(workflow.Context, domain.OperationStatus, domain.Code)) (RegisterResult, error) {
	var a *activities.Activities
	logger := workflow.GetLogger(ctx)
	opID := workflow.GetInfo(ctx).WorkflowExecution.ID
	lctx := workflow.WithLocalActivityOptions(ctx, checkStep)

	var s saga
	var failure domain.Code // why the registration failed, set before the saga compensates
	emailTaken := false
	// Abandoning is keyed by the registration and removes whatever exists of it, so it is the
	// compensation of every step before the user can log in.
	s.add(func(ctx workflow.Context) error {
		return workflow.ExecuteLocalActivity(ctx, a.AbandonRegistration, activities.AbandonRegistrationInput{
			RegistrationID: in.RegistrationID,
			Code:           failure,
			EmailTaken:     emailTaken,
		}).Get(ctx, nil)
	})
	fail := func(step string, cause error) (RegisterResult, error) {
		code := codeOf(cause)
		failure = code
		logger.Warn("registration failed", "step", step, "code", string(code), "error", cause)
		if err := s.compensate(ctx); err != nil {
			logger.Error("abandoning registration failed", "error", err)
		}
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		tagEnd(dctx, domain.OperationFailed, code)
		return RegisterResult{}, refusal(code, cause)
	}

	var user activities.CreateUserResult
	ref := activities.RegistrationRef{RegistrationID: in.RegistrationID}
	if err := workflow.ExecuteLocalActivity(lctx, a.CreateUser, ref).Get(lctx, &user); isEmailTaken(err) {
		emailTaken = true
		logger.Info("registration's email is taken; its owner is told")
		if err := s.compensate(ctx); err != nil {
			logger.Error("abandoning registration failed", "error", err)
			dctx, _ := workflow.NewDisconnectedContext(ctx)
			tagEnd(dctx, domain.OperationFailed, domain.CodeInternal)
			return RegisterResult{}, refusal(domain.CodeInternal, err)
		}
		// Completed, as every registration that did its job: operators, like the API's clients,
		// find it among the others (its history tells that the email was taken).
		tagEnd(ctx, domain.OperationCompleted, "")
		return Registered(), nil
	} else if err != nil {
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
	tagEnd(ctx, domain.OperationCompleted, "")
	return Registered(), nil
}

// isEmailTaken reports whether err is CreateUser's answer that a user has the registration's email.
func isEmailTaken(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeEmailTaken
}
