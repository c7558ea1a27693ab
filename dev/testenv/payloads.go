package testenv

import (
	"context"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"

	"github.com/bankforge/bank/internal/payloadcodec"
)

// DecodePayloads decrypts, in place, every payload of msg (a workflow's history, say) with
// codec. Search attributes, which Temporal indexes and the codec never touches, are left alone.
func DecodePayloads(ctx context.Context, codec converter.PayloadCodec, msg proto.Message) error {
	return proxy.VisitPayloads(ctx, msg, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			return codec.Decode(ps)
		},
	})
}

// clearHeaders are the workflow header fields that stay in clear: they carry a request id and a
// trace context (ids, never personal data), written by context propagators and the tracing
// interceptor, which encode with Temporal's default converter and not the client's codec.
var clearHeaders = map[string]bool{"bank-request-id": true, "_tracer-data": true}

// ClearPayloads names where msg holds a payload the bank's codec did not encrypt (the message
// type that holds it, once per type), search attributes and the clear header fields aside.
func ClearPayloads(ctx context.Context, msg proto.Message) ([]string, error) {
	seen := map[string]bool{}
	var where []string
	err := proxy.VisitPayloads(ctx, msg, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(vc *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			for _, p := range ps {
				if string(p.GetMetadata()[converter.MetadataEncoding]) == payloadcodec.Encoding || isClearHeader(vc.Parent, p) {
					continue
				}
				name := fmt.Sprintf("%T", vc.Parent)
				if !seen[name] {
					seen[name] = true
					where = append(where, name)
				}
			}
			return ps, nil
		},
	})
	return where, err
}

// isClearHeader reports whether p is the value of one of the clear header fields of parent.
func isClearHeader(parent proto.Message, p *commonpb.Payload) bool {
	h, ok := parent.(*commonpb.Header)
	if !ok {
		return false
	}
	for key, v := range h.GetFields() {
		if v == p {
			return clearHeaders[key]
		}
	}
	return false
}
