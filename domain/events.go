package domain

// EventType names what a live event (GET /v1/ws) tells its user. The database refuses any other
// (db/migrations, user_events_type_known).
type EventType string

const (
	// EventNotificationCreated: a notification arrived in the user's inbox.
	EventNotificationCreated EventType = "notification.created"
	// EventTransferCompleted: money left one of the user's accounts (or their deposit, withdrawal
	// or transfer completed).
	EventTransferCompleted EventType = "transfer.completed"
	// EventTransferFailed: a transfer out of one of the user's accounts ended without moving money.
	EventTransferFailed EventType = "transfer.failed"
	// EventTransferReceived: money arrived in one of the user's accounts.
	EventTransferReceived EventType = "transfer.received"
	// EventOperationCompleted: an operation the user started (a cash approval, a freeze) ended.
	EventOperationCompleted EventType = "operation.completed"
	// EventAccountFrozen and EventAccountUnfrozen: one of the user's accounts was frozen, or is
	// active again.
	EventAccountFrozen   EventType = "account.frozen"
	EventAccountUnfrozen EventType = "account.unfrozen"
)

// EventTypes lists every event type, in the order the documentation gives them.
var EventTypes = []EventType{
	EventNotificationCreated, EventTransferCompleted, EventTransferFailed, EventTransferReceived,
	EventOperationCompleted, EventAccountFrozen, EventAccountUnfrozen,
}
