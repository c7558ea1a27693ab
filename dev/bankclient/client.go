// Package bankclient is a small client of the bank's REST API, for the demo seed, the benchmark and
// the end-to-end tests.
package bankclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/bankforge/bank/domain"
)

// Client calls the API at Base, as the holder of Token when set.
type Client struct {
	Base  string
	Token string
	HTTP  *http.Client
}

// New returns an anonymous client of the API at base.
func New(base string) *Client {
	return &Client{Base: base, HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// As returns a client that sends token.
func (c *Client) As(token string) *Client {
	cp := *c
	cp.Token = token
	return &cp
}

// Response is a raw answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Error is a non-2xx answer.
type Error struct {
	Status int
	Body   string
}

func (e *Error) Error() string { return fmt.Sprintf("status %d: %s", e.Status, e.Body) }

// Do sends a request with an optional JSON body and headers and returns the raw answer.
func (c *Client) Do(ctx context.Context, method, path string, body any, header http.Header) (*Response, error) {
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case []byte:
			rd = bytes.NewReader(b)
		case string:
			rd = bytes.NewReader([]byte(b))
		default:
			raw, err := json.Marshal(body)
			if err != nil {
				return nil, err
			}
			rd = bytes.NewReader(raw)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}, nil
}

// JSON sends a request and decodes a 2xx answer into out (when not nil).
func (c *Client) JSON(ctx context.Context, method, path string, body any, header http.Header, out any) (*Response, error) {
	resp, err := c.Do(ctx, method, path, body, header)
	if err != nil {
		return nil, err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return resp, &Error{Status: resp.Status, Body: string(resp.Body)}
	}
	if out != nil && len(resp.Body) > 0 {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return resp, fmt.Errorf("decode %s %s: %w", method, path, err)
		}
	}
	return resp, nil
}

// Operation is a long-running operation.
type Operation struct {
	ID     string                 `json:"id"`
	Kind   domain.OperationKind   `json:"kind"`
	Status domain.OperationStatus `json:"status"`
	Result json.RawMessage        `json:"result"`
	Error  json.RawMessage        `json:"error"`
}

// Tokens are a login's tokens.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
}

// Account is a bank account as the API shows it.
type Account struct {
	ID               string               `json:"id"`
	Number           string               `json:"number"`
	Currency         string               `json:"currency"`
	Status           domain.AccountStatus `json:"status"`
	Balance          int64                `json:"balance"`
	AvailableBalance int64                `json:"available_balance"`
}

// Transfer is a transfer as the API shows it: an account's id only to its owner (nil otherwise),
// every account's number.
type Transfer struct {
	ID                string                `json:"id"`
	Kind              domain.TransferKind   `json:"kind"`
	Status            domain.TransferStatus `json:"status"`
	FromAccountID     *string               `json:"from_account_id"`
	FromAccountNumber string                `json:"from_account_number"`
	ToAccountID       *string               `json:"to_account_id"`
	ToAccountNumber   string                `json:"to_account_number"`
	Amount            int64                 `json:"amount"`
	Currency          string                `json:"currency"`
	FailureCode       *domain.Code          `json:"failure_code"`
	FailureReason     *string               `json:"failure_reason"`
	Steps             []struct {
		Name   domain.TransferStep `json:"name"`
		Status domain.StepStatus   `json:"status"`
		At     time.Time           `json:"at"`
	} `json:"steps"`
}

// Register starts a registration and returns its operation id.
func (c *Client) Register(ctx context.Context, email, password, fullName, currency string) (string, error) {
	var op Operation
	body := map[string]any{"email": email, "password": password, "full_name": fullName}
	if currency != "" {
		body["currency"] = currency
	}
	if _, err := c.JSON(ctx, http.MethodPost, "/v1/auth/register", body, nil, &op); err != nil {
		return "", err
	}
	return op.ID, nil
}

// WaitOperation polls an operation until it ends.
func (c *Client) WaitOperation(ctx context.Context, id string) (Operation, error) {
	for {
		var op Operation
		if _, err := c.JSON(ctx, http.MethodGet, "/v1/operations/"+id+"?wait=5s", nil, nil, &op); err != nil {
			return op, err
		}
		if op.Status != domain.OperationRunning {
			return op, nil
		}
		if err := ctx.Err(); err != nil {
			return op, err
		}
	}
}

// Login logs in.
func (c *Client) Login(ctx context.Context, email, password string) (Tokens, error) {
	var t Tokens
	_, err := c.JSON(ctx, http.MethodPost, "/v1/auth/login", map[string]string{"email": email, "password": password}, nil, &t)
	return t, err
}

// Accounts lists the caller's accounts.
func (c *Client) Accounts(ctx context.Context) ([]Account, error) {
	var page struct {
		Items []Account `json:"items"`
	}
	_, err := c.JSON(ctx, http.MethodGet, "/v1/accounts", nil, nil, &page)
	return page.Items, err
}

// Account reads one of the caller's accounts.
func (c *Client) Account(ctx context.Context, id string) (Account, error) {
	var a Account
	_, err := c.JSON(ctx, http.MethodGet, "/v1/accounts/"+id, nil, nil, &a)
	return a, err
}

// Deposit (admin) credits a customer account from cash.
func (c *Client) Deposit(ctx context.Context, accountID string, amount int64, currency, key string) (Transfer, error) {
	var t Transfer
	_, err := c.JSON(ctx, http.MethodPost, "/v1/admin/accounts/"+accountID+"/deposits",
		map[string]any{"amount": amount, "currency": currency, "description": "deposit"},
		http.Header{"Idempotency-Key": {key}}, &t)
	return t, err
}

// Transfer starts a transfer between accounts by id.
func (c *Client) Transfer(ctx context.Context, from, to string, amount int64, currency, key string) (Transfer, *Response, error) {
	var t Transfer
	resp, err := c.JSON(ctx, http.MethodPost, "/v1/transfers",
		map[string]any{"from_account_id": from, "to_account_id": to, "amount": amount, "currency": currency},
		http.Header{"Idempotency-Key": {key}}, &t)
	return t, resp, err
}

// GetTransfer reads a transfer.
func (c *Client) GetTransfer(ctx context.Context, id string) (Transfer, error) {
	var t Transfer
	_, err := c.JSON(ctx, http.MethodGet, "/v1/transfers/"+id, nil, nil, &t)
	return t, err
}

// WaitTransfer waits until a transfer is no longer pending, asking the API to hold each answer up
// to wait (GET /v1/transfers/{id}?wait=).
func (c *Client) WaitTransfer(ctx context.Context, id string, wait time.Duration) (Transfer, error) {
	for {
		var t Transfer
		_, err := c.JSON(ctx, http.MethodGet, "/v1/transfers/"+id+"?wait="+wait.String(), nil, nil, &t)
		if err != nil || t.Status != domain.TransferPending {
			return t, err
		}
		if err := ctx.Err(); err != nil {
			return t, err
		}
	}
}
