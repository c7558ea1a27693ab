package seedscale

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/bankforge/bank/domain"
)

// The plan is the whole data set as compact arrays, generated before anything is written: users,
// accounts (the cash accounts first) and money movements in time order. Ids are derived from the
// seed and an index, so every pass over the plan (transfers, ledger transactions, postings, audit
// events) names the same rows without storing them.

type currency struct {
	code string
	// usdCents converts an amount in US cents to this currency's minor units (times 1,000).
	perMilleOfUSDCent int64
	weight            float64
}

// The bank's currencies as seeded: USD, EUR, COP and JPY, in how many accounts each is.
var seedCurrencies = []currency{
	{"USD", 1000, 0.45},
	{"EUR", 920, 0.25},
	{"COP", 40000, 0.20}, // 4,000 pesos a dollar, 2 decimals
	{"JPY", 1500, 0.10},  // 150 yen a dollar, no decimals
}

type account struct {
	id      uuid.UUID
	number  string
	user    int32 // index into plan.users; -1 for a cash account
	cur     uint8
	created int64 // unix microseconds
	// frozenAt is when the account's freeze came into force (0: not frozen); debitOnly is its scope.
	frozenAt  int64
	debitOnly bool
	reason    domain.FreezeReason
	// balance is the balance as the plan's movements leave it; atFreeze the balance when frozen.
	balance  int64
	atFreeze int64
	frozen   bool // atFreeze recorded
	// start is the balance before the seed (a cash account's), lastID its last posting's id then.
	start int64
}

type user struct {
	id      uuid.UUID
	email   string
	name    string
	locale  domain.Locale
	created int64
}

// Movement kinds and outcomes, packed in a byte each.
const (
	mvDeposit uint8 = iota
	mvWithdrawal
	mvTransfer
)

const (
	stCompleted uint8 = iota
	stFailed
	stCompensated
)

type movement struct {
	at       int64 // unix microseconds when requested
	from, to int32 // account indexes
	amount   int64
	kind     uint8
	status   uint8
	desc     uint8
}

type plan struct {
	seed     uint64
	tag      string
	admin    uuid.UUID
	users    []user
	accounts []account
	// byCurrency lists the customer accounts of each currency, in a shuffled order: the first are
	// the busiest.
	byCurrency [][]int32
	moves      []movement
	postings   int
	start, end int64
}

var descriptions = []string{
	"rent", "groceries", "dinner", "school fees", "electricity", "phone bill", "gift", "loan repayment",
	"salary advance", "insurance", "gym", "travel", "books", "repairs", "subscription", "shared taxi",
}

var (
	firstNames = []string{"Ana", "Ben", "Carla", "Diego", "Elena", "Farid", "Grace", "Hugo", "Irene", "Jon",
		"Kenji", "Lucía", "Mateo", "Nadia", "Omar", "Paula", "Quinn", "Rosa", "Sven", "Tomás", "Uma", "Víctor", "Wen", "Yara"}
	lastNames = []string{"López", "Okafor", "Muñoz", "Schmidt", "Tanaka", "García", "Rossi", "Nguyen", "Silva",
		"Khan", "Ivanova", "Martín", "Dubois", "Kowalski", "Haddad", "Reyes", "Osei", "Park", "Costa", "Moreau"}
)

// newPlan draws the data set. cash are the bank's cash accounts as the database has them.
func newPlan(o Options, cash []account, admin uuid.UUID) (*plan, error) {
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	chacha := rand.NewChaCha8(seedBytes(o.Seed))
	p := &plan{seed: o.Seed, admin: admin, accounts: cash}
	p.tag = fmt.Sprintf("%08x", r.Uint32())
	// Whole days on the UTC calendar, the last ending at today's midnight.
	today := o.Now.UTC().Truncate(24 * time.Hour)
	p.start, p.end = today.AddDate(0, 0, -o.Days).UnixMicro(), today.UnixMicro()
	cashOf := make([]int32, len(seedCurrencies))
	for i := range cashOf {
		cashOf[i] = -1
	}
	for i, a := range p.accounts {
		cashOf[a.cur] = int32(i)
	}
	for i, c := range cashOf {
		if c < 0 {
			return nil, fmt.Errorf("no cash account in %s", seedCurrencies[i].code)
		}
	}

	// Customers, each with one to four accounts in distinct currencies, opened before the year.
	p.users = make([]user, o.Customers)
	p.byCurrency = make([][]int32, len(seedCurrencies))
	numbers := map[string]bool{}
	for i := range p.users {
		created := p.start - int64(r.Float64()*float64(2*365*24*time.Hour/time.Microsecond))
		locale := domain.Locale("en")
		if r.Float64() < 0.3 {
			locale = "es"
		}
		p.users[i] = user{
			id:      randomUUID(r),
			email:   fmt.Sprintf("customer%07d.%s@scale.example", i+1, p.tag),
			name:    firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))],
			locale:  locale,
			created: created,
		}
		n := 1
		switch x := r.Float64(); {
		case x < 0.05:
			n = 4
		case x < 0.25:
			n = 3
		case x < 0.60:
			n = 2
		}
		used := [4]bool{}
		for k := 0; k < n; k++ {
			c := pickCurrency(r)
			for used[c] {
				c = (c + 1) % len(seedCurrencies)
			}
			used[c] = true
			number, err := domain.NewAccountNumber(chacha)
			for err == nil && numbers[number] {
				number, err = domain.NewAccountNumber(chacha)
			}
			if err != nil {
				return nil, err
			}
			numbers[number] = true
			a := account{id: randomUUID(r), number: number, user: int32(i), cur: uint8(c), created: created + int64(k)*int64(time.Hour/time.Microsecond)}
			p.byCurrency[c] = append(p.byCurrency[c], int32(len(p.accounts)))
			p.accounts = append(p.accounts, a)
		}
	}
	// Some accounts are frozen during the year, a quarter of them for debits only.
	customers := len(p.accounts) - len(cash)
	for k := 0; k < max(1, customers/200) && customers > 0; k++ {
		a := &p.accounts[len(cash)+r.IntN(customers)]
		if a.frozenAt != 0 {
			continue
		}
		a.frozenAt = p.start + int64((0.4+0.6*r.Float64())*float64(p.end-p.start))
		a.debitOnly = r.Float64() < 0.25
		a.reason = []domain.FreezeReason{domain.FreezeSuspectedFraud, domain.FreezeCustomerRequest, domain.FreezeLegalOrder}[r.IntN(3)]
	}

	p.drawMovements(r, o.Postings, cashOf)
	for i := range p.accounts {
		if a := &p.accounts[i]; a.frozenAt != 0 && !a.frozen {
			a.atFreeze, a.frozen = a.balance, true
		}
	}
	return p, nil
}

// hourWeights is how busy each hour of a day is (UTC), night to evening.
var hourWeights = [24]float64{0.2, 0.15, 0.1, 0.1, 0.1, 0.2, 0.4, 0.7, 1.0, 1.2, 1.3, 1.3,
	1.4, 1.3, 1.2, 1.2, 1.2, 1.3, 1.4, 1.3, 1.1, 0.9, 0.6, 0.35}

// drawMovements draws money movements in time order until they make the postings asked for (two
// per completed movement): busier on weekdays and in the day, growing over the year, most accounts
// quiet and a few very busy. Customer balances never go below zero; a failed or compensated transfer
// moves nothing.
func (p *plan) drawMovements(r *rand.Rand, postings int, cashOf []int32) {
	completed := postings / 2
	p.moves = make([]movement, 0, completed+completed/30)
	days := int((p.end - p.start) / int64(24*time.Hour/time.Microsecond))
	if days < 1 {
		days = 1
	}
	dayWeight := make([]float64, days)
	var total float64
	for d := range dayWeight {
		w := 0.8 + 0.4*float64(d)/float64(days)
		switch time.UnixMicro(p.start).UTC().AddDate(0, 0, d).Weekday() {
		case time.Saturday:
			w *= 0.7
		case time.Sunday:
			w *= 0.5
		}
		dayWeight[d] = w
		total += w
	}
	var hourTotal float64
	for _, w := range hourWeights {
		hourTotal += w
	}
	hour := int64(time.Hour / time.Microsecond)
	done := 0
	carry := 0.0
	for d := 0; d < days && done < completed; d++ {
		for h := 0; h < 24 && done < completed; h++ {
			want := float64(completed)*dayWeight[d]/total*hourWeights[h]/hourTotal + carry
			n := int(want)
			carry = want - float64(n)
			if d == days-1 && h == 23 {
				n = completed - done
			}
			n = min(n, completed-done)
			base := p.start + int64(d*24+h)*hour
			times := make([]int64, n)
			for i := range times {
				times[i] = base + r.Int64N(hour)
			}
			slices.Sort(times)
			for _, at := range times {
				for !p.drawMovement(r, at, cashOf) {
				}
				done++
			}
		}
	}
	p.postings = 2 * done
}

// drawMovement appends one movement at time at, and reports whether it completed (a failed one
// does not count toward the postings).
func (p *plan) drawMovement(r *rand.Rand, at int64, cashOf []int32) bool {
	c := pickCurrency(r)
	list := p.byCurrency[c]
	if len(list) == 0 {
		return false
	}
	amount := func(scale float64) int64 {
		cents := math.Exp(math.Log(100)+r.Float64()*(math.Log(500_000)-math.Log(100))) * scale
		return max(1, int64(cents)*seedCurrencies[c].perMilleOfUSDCent/1000)
	}
	desc := uint8(r.IntN(len(descriptions)))
	acc := list[busy(r, len(list))]
	a := &p.accounts[acc]
	p.noteFreeze(a, at)
	canDebit := a.frozenAt == 0 || at < a.frozenAt
	canCredit := canDebit || a.debitOnly
	kind := mvTransfer
	switch x := r.Float64(); {
	case x < 0.22 || (a.balance == 0 && canCredit):
		kind = mvDeposit
	case x < 0.32:
		kind = mvWithdrawal
	}
	if (kind == mvDeposit && !canCredit) || (kind != mvDeposit && !canDebit) {
		return false
	}
	m := movement{at: at, kind: kind, desc: desc}
	switch kind {
	case mvDeposit:
		m.from, m.to, m.amount = cashOf[c], acc, amount(4)
	case mvWithdrawal:
		m.from, m.to, m.amount = acc, cashOf[c], min(amount(1), a.balance)
	case mvTransfer:
		to := list[busy(r, len(list))]
		if to == acc {
			return false
		}
		b := &p.accounts[to]
		p.noteFreeze(b, at)
		m.from, m.to, m.amount = acc, to, min(amount(1), a.balance)
		switch x := r.Float64(); {
		case x < 0.02:
			m.status, m.amount = stFailed, a.balance+amount(1)
		case x < 0.025:
			m.status = stCompensated
		case b.frozenAt != 0 && at >= b.frozenAt && !b.debitOnly:
			m.status = stCompensated
		}
	}
	p.moves = append(p.moves, m)
	if m.status != stCompleted {
		return false
	}
	p.accounts[m.from].balance -= m.amount
	p.accounts[m.to].balance += m.amount
	return true
}

// noteFreeze records a's balance when its freeze comes into force, before the first movement after.
func (p *plan) noteFreeze(a *account, at int64) {
	if a.frozenAt != 0 && !a.frozen && at >= a.frozenAt {
		a.atFreeze, a.frozen = a.balance, true
	}
}

// busy picks an index in [0, n): the first few are picked far more often (an index's chance falls
// as one over its square root), as a bank's few business accounts are far busier than the rest.
func busy(r *rand.Rand, n int) int {
	u := r.Float64()
	return min(n-1, int(u*u*float64(n)))
}

func pickCurrency(r *rand.Rand) int {
	x := r.Float64()
	for i, c := range seedCurrencies {
		if x < c.weight {
			return i
		}
		x -= c.weight
	}
	return 0
}

func randomUUID(r *rand.Rand) uuid.UUID {
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[:8], r.Uint64())
	binary.BigEndian.PutUint64(u[8:], r.Uint64())
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// timeUUID is a version 7 UUID for time at (unix microseconds), its random bits derived from the
// seed, a kind of row and an index: ids that follow time keep the primary keys' inserts in order.
func timeUUID(seed uint64, kind uint64, i int, at int64) uuid.UUID {
	var u uuid.UUID
	ms := uint64(at / 1000)
	binary.BigEndian.PutUint64(u[:8], ms<<16)
	x := splitmix(seed ^ kind<<56 ^ uint64(i))
	y := splitmix(x)
	u[6] = 0x70 | byte(x>>8)&0x0f
	u[7] = byte(x)
	binary.BigEndian.PutUint64(u[8:], y)
	u[8] = u[8]&0x3f | 0x80
	return u
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func seedBytes(seed uint64) [32]byte {
	var b [32]byte
	for i := 0; i < 4; i++ {
		binary.LittleEndian.PutUint64(b[i*8:], splitmix(seed+uint64(i)))
	}
	return b
}
