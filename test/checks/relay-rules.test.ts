import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GroupStep, RelayProbeResult, RelayVector } from '../../src/checks/relay-rules.js';
import { groupBySender, groupSteps, judgeGroup, MAX_PROBES_PER_SESSION, MAX_SYNTAX_ERRORS_PER_SESSION, relayedFormNames, withinSyntaxBudget, withNullSenderTwins } from '../../src/checks/relay-rules.js';
import type { Reply } from '../../src/core/reply.js';
import { parseEnhancedStatus } from '../../src/core/reply.js';

const reply = (code: number, text = 'x'): Reply => ({ code, enhanced: parseEnhancedStatus(text), lines: [text], raw: [`${code} ${text}`] });
// Postfix's default relay refusal (defer_unauth_destination): a 4yz that refuses.
const relayDenied = () => reply(454, '4.7.1 <r@example.com>: Relay access denied');
const vector = (rcptTo: string, mailFrom = 'p@example.net'): RelayVector => ({ form: `<${rcptTo}>`, mailFrom, rcptTo });
const CONTROL = 'john@example.org';

/** Answers in the order groupSteps asks: `probe(vector, position)` for each probe RCPT, `control(position)` for each control. */
function answer(steps: readonly GroupStep[], probe: (vector: RelayVector, asked: number) => Reply, control: (asked: number) => Reply) {
  const asked = new Map<GroupStep, number>();
  return steps.map((step) => {
    const count = asked.get(step) ?? 0;
    asked.set(step, count + 1);
    return { step, reply: step === 'control' ? control(count) : probe(step, count) };
  });
}

describe('relay probe groups (docs/relay-test.md)', () => {
  it('groups probes by MAIL FROM, keeping their order, at most four to a session', () => {
    const forms = ['a', 'b', 'c', 'd', 'e'].map((local) => vector(`${local}@example.com`));
    const other = vector('x@example.com', '');
    const groups = groupBySender([forms[0]!, other, ...forms.slice(1)]);
    assert.equal(MAX_PROBES_PER_SESSION, 4);
    assert.deepEqual(groups, [forms.slice(0, 4), [other], [forms[4]]]);
    // Without a control (submission) nothing vouches for a shared transaction: one each.
    assert.deepEqual(groupBySender(forms, 1), forms.map((form) => [form]));
  });

  it('on an MX asks the first probe alone, then the control, every probe, and the control again', () => {
    const [a, b] = [vector('a@example.com'), vector('b@example.com')];
    assert.deepEqual(groupSteps([a, b], true), [a, 'control', a, b, 'control']);
    assert.deepEqual(groupSteps([a, b], false), [a, b]);
  });

  it('counts the refusals when both controls were accepted', () => {
    const group = [vector('a@example.com'), vector('b@example.com')];
    const { results, unsettled } = judgeGroup(CONTROL, group, answer(groupSteps(group, true), () => relayDenied(), () => reply(250)), reply(250), null);
    assert.equal(unsettled, null);
    assert.deepEqual(results.map((result) => result?.outcome), ['refused', 'refused']);
    assert.equal(results[0]!.control?.code, 250);
  });

  it('judges no refusal of a group whose control was refused at the end: each is asked alone', () => {
    const group = [vector('a@example.com'), vector('b@example.com')];
    const { results, unsettled } = judgeGroup(CONTROL, group, answer(groupSteps(group, true), () => relayDenied(), (asked) => reply(asked === 0 ? 250 : 421)), reply(250), null);
    assert.match(unsettled ?? '', /control recipient john@example\.org was refused in the group's session \(421 x\)/);
    assert.deepEqual(results, [null, null]);
  });

  it('keeps an accepted probe as relayed even when the group proves nothing else', () => {
    const group = [vector('a@example.com'), vector('b@example.com')];
    const steps = groupSteps(group, true);
    const answers = answer(steps, (probe) => (probe === group[1] ? reply(250) : relayDenied()), () => relayDenied()).slice(0, 4);
    const { results, unsettled } = judgeGroup(CONTROL, group, answers, reply(250), 'the session broke');
    assert.equal(unsettled, 'the session broke');
    assert.equal(results[0], null);
    assert.equal(results[1]?.outcome, 'relayed');
  });

  it('a relay only as the first recipient of a transaction is a relay', () => {
    const group = [vector('a@example.com')];
    const { results } = judgeGroup(CONTROL, group, answer(groupSteps(group, true), (_probe, asked) => (asked === 0 ? reply(250) : relayDenied()), () => reply(250)), reply(250), null);
    assert.equal(results[0]?.outcome, 'relayed');
    assert.match(results[0]!.reason, /accepted as the first recipient of the transaction/);
  });

  it('without a control (submission) the probes alone decide', () => {
    const group = [vector('a@example.com')];
    const { results, unsettled } = judgeGroup(CONTROL, group, answer(groupSteps(group, false), () => reply(554), () => reply(250)), reply(250), null);
    assert.equal(unsettled, null);
    assert.equal(results[0]?.outcome, 'refused');
    assert.equal(results[0]?.control, null);
  });

  it('a form deferred in the group (greylisting behind an exempt control) is never a refusal: every form is asked alone', () => {
    const group = [vector('a@example.com'), vector('b@example.com')];
    const greylisted = reply(450, '4.7.1 <a@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html');
    const { results, unsettled } = judgeGroup(CONTROL, group, answer(groupSteps(group, true), (probe) => (probe === group[0] ? greylisted : relayDenied()), () => reply(250)), reply(250), null);
    assert.match(unsettled ?? '', /a form was answered 450 4\.7\.1/);
    assert.deepEqual(results, [null, null]);
  });

  it('a 2yz other than 250/251 to a foreign recipient is a relay, said to be odd', () => {
    const group = [vector('a@example.com')];
    const { results } = judgeGroup(CONTROL, group, answer(groupSteps(group, true), () => reply(220, '2.1.5 Ok'), () => reply(250)), reply(250), null);
    assert.equal(results[0]?.outcome, 'relayed');
    assert.match(results[0]!.reason, /odd code 220/);
  });

  it('an answer that is neither acceptance nor refusal (e.g. 354) leaves the form to be asked alone', () => {
    const group = [vector('a@example.com')];
    const { results, unsettled } = judgeGroup(CONTROL, group, answer(groupSteps(group, true), () => reply(354, 'go ahead'), () => reply(250)), reply(250), null);
    assert.deepEqual(results, [null]);
    assert.match(unsettled ?? '', /354 go ahead/);
  });
});

describe('the syntax-error budget of a relay group session (Exim drops a session at its fourth)', () => {
  const malformed = reply(501, '<r@example.net@example.org>: malformed address');

  it('counts 500/501, X.5.X and X.1.3 refusals, and stops the session at three, before a fourth', () => {
    assert.equal(MAX_SYNTAX_ERRORS_PER_SESSION, 3);
    assert.equal(withinSyntaxBudget([malformed, reply(250), reply(501, '5.1.3 Bad recipient address syntax')]), true);
    assert.equal(withinSyntaxBudget([malformed, reply(250), malformed, reply(550, '5.5.2 syntax error')]), false);
  });

  it('does not count relay refusals, unknown users or policy refusals', () => {
    const refusals = [reply(550, 'relay not permitted'), relayDenied(), reply(550, '5.1.1 User unknown'), reply(554, '5.7.1 Access denied'), reply(501, '5.7.0 not allowed')];
    assert.equal(withinSyntaxBudget([...refusals, ...refusals]), true);
  });
});

describe('null-sender twins', () => {
  it('every form is also asked from <>, right after it, unless the family already asks that envelope', () => {
    const twins = withNullSenderTwins([vector('r%example.net@example.org'), vector('r@example.com')]);
    assert.deepEqual(
      twins.map((probe) => [probe.form, probe.mailFrom, probe.twinOf ?? null]),
      [
        ['<r%example.net@example.org>', 'p@example.net', null],
        ['<r%example.net@example.org> from <>', '', '<r%example.net@example.org>'],
        ['<r@example.com>', 'p@example.net', null],
        ['<r@example.com> from <>', '', '<r@example.com>'],
      ],
    );
    // relay-sender-forms: one recipient, several senders, <> among them: nothing to add.
    const senders = ['', 'p@example.org', 'postmaster@example.org'].map((from) => vector('r@example.net', from));
    assert.deepEqual(withNullSenderTwins(senders), senders);
  });

  it('a summary names a form once when it relayed from both senders, and says "from <>" when only the twin did', () => {
    const result = (probe: RelayVector): RelayProbeResult => ({ ...probe, mail: reply(250), control: null, controlAccepted: null, probe: reply(250), outcome: 'relayed', reason: 'accepted', deferral: null });
    const [a, aTwin, b, bTwin] = withNullSenderTwins([vector('a@example.com'), vector('b@example.com')]).map(result);
    assert.deepEqual(relayedFormNames([a!, aTwin!, bTwin!]), ['<a@example.com>', '<b@example.com> from <>']);
    assert.deepEqual(relayedFormNames([b!]), ['<b@example.com>']);
  });
});
