package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

type operationResponse struct {
	ID        string                 `json:"id"`
	Kind      domain.OperationKind   `json:"kind"`
	Status    domain.OperationStatus `json:"status"`
	Result    json.RawMessage        `json:"result"`
	Error     *Problem               `json:"error"`
	CreatedAt time.Time              `json:"created_at"`
	UpdatedAt time.Time              `json:"updated_at"`
}

// getOperation reports an operation's status from its workflow. Operations started by a user are
// visible to that user only; a registration's id is unguessable, so its registrant can poll it.
// ?wait=5s holds the answer until the operation ends or the wait runs out.
func (s *server) getOperation(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, ok := parseID(id); !ok {
		return newError(domain.CodeNotFound, "No such operation.")
	}
	wait, release, err := s.waitParam(r)
	if err != nil {
		return err
	}
	defer release()
	ctx := r.Context()
	op, err := s.store.GetOperation(ctx, id)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return newError(domain.CodeNotFound, "No such operation.")
	} else if err != nil {
		return internalError(fmt.Errorf("get operation: %w", err))
	}
	if op.UserID != nil {
		p, err := s.principalOf(r)
		if err != nil || p.UserID != *op.UserID {
			return newError(domain.CodeNotFound, "No such operation.")
		}
	}
	resp, err := s.operationStatus(ctx, op, wait)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *server) operationStatus(ctx context.Context, op db.Operation, wait time.Duration) (operationResponse, error) {
	resp := operationResponse{ID: op.ID, Kind: op.Kind, Status: domain.OperationRunning, CreatedAt: op.CreatedAt.UTC(), UpdatedAt: op.CreatedAt.UTC()}
	run := s.workflows.GetWorkflow(ctx, op.WorkflowID, "")
	if wait > 0 {
		wctx, cancel := context.WithTimeout(ctx, wait)
		_ = run.Get(wctx, nil) // only waits; the outcome is read below
		cancel()
	}
	desc, err := s.workflows.DescribeWorkflow(ctx, op.WorkflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return resp, nil // accepted, not yet visible
	} else if err != nil {
		return resp, &apiError{code: domain.CodeUnavailable, detail: "The operation's status is not available right now.", cause: fmt.Errorf("describe workflow: %w", err)}
	}
	if t := desc.WorkflowCloseTime; t != nil {
		resp.UpdatedAt = t.UTC()
	}
	switch desc.Status {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return resp, nil
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		if op.Kind == domain.OperationRegistration {
			// Every completed registration reads the same, whether it opened an account or found
			// the email taken, and whatever a workflow of an earlier release returned (the new
			// account, or the email taken): anyone holding the id may read it.
			result, err := json.Marshal(workflows.Registered())
			if err != nil {
				return resp, internalError(fmt.Errorf("encode registration result: %w", err))
			}
			resp.Status, resp.Result = domain.OperationCompleted, result
			return resp, nil
		}
		var result json.RawMessage
		if err := run.Get(ctx, &result); err != nil {
			return resp, internalError(fmt.Errorf("get workflow result: %w", err))
		}
		// A refused operation completes its workflow with the refusal's code.
		var refused struct {
			FailureCode domain.Code `json:"failure_code"`
		}
		if err := json.Unmarshal(result, &refused); err == nil && refused.FailureCode != "" {
			p := newProblem(refused.FailureCode, refused.FailureCode.Message(), nil)
			resp.Status, resp.Error = domain.OperationFailed, &p
			return resp, nil
		}
		resp.Status, resp.Result = domain.OperationCompleted, result
		return resp, nil
	default:
		resp.Status = domain.OperationFailed
		err := run.Get(ctx, nil)
		p := operationProblem(err)
		resp.Error = &p
		return resp, nil
	}
}

// operationProblem turns a workflow's failure into the problem a client reads: a refusal by its
// code, a cancellation as canceled, anything else as an internal error.
func operationProblem(err error) Problem {
	var appErr *temporal.ApplicationError
	code := domain.CodeInternal
	switch {
	case temporal.IsCanceledError(err):
		code = domain.CodeCanceled
	case errors.As(err, &appErr) && domain.Code(appErr.Type()).Known():
		code = domain.Code(appErr.Type())
	}
	return newProblem(code, code.Message(), nil)
}
