import test from 'ava';
import type { AssumeRoleOutcome } from '../../src/sts/actions.js';
import { stsError } from '../../src/sts/errors.js';
import { escapeXml, formatTimestamp, renderAssumeRole, renderError, renderGetCallerIdentity } from '../../src/sts/render.js';

const OUTCOME: AssumeRoleOutcome = {
  input: { roleArn: 'arn:aws:iam::123456789012:role/demo-role', roleSessionName: 'demo@app', tags: [], transitiveTagKeys: [], policyArns: [] },
  credentials: {
    accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
    sessionToken: 'IQoJb3JpZ2luX2VjE+/=',
    issuedAt: Date.UTC(2030, 0, 1, 12, 0, 0),
    expiresAt: Date.UTC(2030, 0, 1, 13, 0, 0),
    roleArn: 'arn:aws:iam::123456789012:role/demo-role',
    roleSessionName: 'demo@app',
    assumedRoleArn: 'arn:aws:sts::123456789012:assumed-role/demo-role/demo@app',
    assumedRoleId: 'AROA3XFRBF535EXAMPLE1:demo@app',
    accountId: '123456789012',
    callerArn: 'arn:aws:iam::123456789012:user/node',
    tags: [],
    transitiveTagKeys: [],
  },
};

test('AssumeRole renders in the order of AWS documented example', (t) => {
  t.is(
    renderAssumeRole(OUTCOME, 'req-1'),
    `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo-role/demo@app</Arn>
      <AssumedRoleId>AROA3XFRBF535EXAMPLE1:demo@app</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>IQoJb3JpZ2luX2VjE+/=</SessionToken>
      <Expiration>2030-01-01T13:00:00Z</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>req-1</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>
`,
  );
});

test('AssumeRole adds SourceIdentity first and PackedPolicySize last when present', (t) => {
  const xml = renderAssumeRole({ ...OUTCOME, credentials: { ...OUTCOME.credentials, sourceIdentity: 'alice' }, packedPolicySize: 7 }, 'r');
  t.regex(xml, /<AssumeRoleResult>\n {4}<SourceIdentity>alice<\/SourceIdentity>\n {4}<AssumedRoleUser>/);
  t.regex(xml, /<\/Credentials>\n {4}<PackedPolicySize>7<\/PackedPolicySize>\n {2}<\/AssumeRoleResult>/);
});

test('GetCallerIdentity renders Arn, UserId, Account', (t) => {
  t.is(
    renderGetCallerIdentity({ arn: 'arn:aws:iam::123456789012:user/Alice', userId: 'AIDACKCEVSQ6C2EXAMPLE', account: '123456789012' }, 'r2'),
    `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/Alice</Arn>
    <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>r2</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
`,
  );
});

test('errors render in the ErrorResponse shape, Sender for 4xx and Receiver for 5xx, with text escaped', (t) => {
  t.is(
    renderError(stsError('ValidationError', "Value '<a&b>' at 'x'"), 'r3'),
    `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>ValidationError</Code>
    <Message>Value '&lt;a&amp;b&gt;' at 'x'</Message>
  </Error>
  <RequestId>r3</RequestId>
</ErrorResponse>
`,
  );
  t.regex(renderError(stsError('ServiceUnavailable'), 'r'), /<Type>Receiver<\/Type>/);
  t.is(escapeXml(`"q" 'a'`), `"q" 'a'`);
});

test('timestamps have second precision and a Z', (t) => {
  t.is(formatTimestamp(Date.UTC(2030, 0, 1, 13, 0, 0, 999)), '2030-01-01T13:00:00Z');
});
