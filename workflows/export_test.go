package workflows

import "go.temporal.io/sdk/workflow"

// RegisterWithoutVersionGuard is Register tagging its end in every run, as it would without its
// workflow.GetVersion guard: the replay tests' negative control.
func RegisterWithoutVersionGuard(ctx workflow.Context, in RegisterInput) (RegisterResult, error) {
	return register(ctx, in, upsertRegistrationEnd)
}
