import { expect } from 'chai';
import {
  crawlerPolicy,
  ec2Trust,
  fromDocumentStatements,
  serviceTrust,
  toDocumentStatements,
  overlyBroadStatements,
  s3EndpointPolicy,
  sinkPolicy,
  tlsOnlyBucketPolicy,
  type PolicyDocument,
  type Statement,
} from '../../../modules/policies.js';
import { keyPolicy, logsKeyService } from '../../../modules/key-policies.js';

const scope = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' };
const lake = {
  bucketArn: 'arn:aws:s3:::tickstream-prod-lake-123456789012',
  keyArn: 'arn:aws:kms:eu-west-1:123456789012:key/abcd',
  prefixes: ['raw/', 'processed/'],
};

function statement(doc: PolicyDocument, sid: string): Statement {
  const s = doc.Statement.find((x) => x.Sid === sid);
  if (!s) throw new Error(`no statement ${sid}`);
  return s;
}

const list = (v: string | readonly string[]): readonly string[] => (typeof v === 'string' ? [v] : v);

describe('infra policy documents', () => {
  it('lets the sink write and delete only objects under raw/, processed/ and its state prefix', () => {
    const doc = sinkPolicy({ ...lake, statePrefix: '_sink/' }, scope);
    const actions = doc.Statement.flatMap((s) => list(s.Action));
    expect(actions.some((a) => a.includes('*'))).to.equal(false);
    const write = statement(doc, 'ReadWriteOwnPrefixes');
    expect(list(write.Action)).to.include.members(['s3:PutObject', 's3:DeleteObject']);
    expect(list(write.Resource)).to.deep.equal([`${lake.bucketArn}/raw/*`, `${lake.bucketArn}/processed/*`, `${lake.bucketArn}/_sink/*`]);
    const listing = statement(doc, 'ListOwnPrefixes');
    expect(listing.Condition).to.deep.equal({
      StringLike: { 's3:prefix': ['raw/', 'raw/*', 'processed/', 'processed/*', '_sink/', '_sink/*'] },
    });
  });

  it('never gives the crawler the sink state prefix or delete', () => {
    const doc = crawlerPolicy(lake, { database: 'd', logGroupPrefix: '/aws-glue/crawlers', logsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/logs' }, scope);
    const actions = doc.Statement.flatMap((s) => list(s.Action));
    expect(actions).not.to.include('s3:DeleteObject');
    expect(JSON.stringify(doc)).not.to.include('_sink');
  });

  it('keeps the lake prefix in front of every grant when the lake has one', () => {
    const doc = sinkPolicy({ ...lake, prefixes: ['market/raw/', 'market/processed/'] }, scope);
    expect(list(statement(doc, 'ReadWriteOwnPrefixes').Resource)).to.deep.equal([
      `${lake.bucketArn}/market/raw/*`,
      `${lake.bucketArn}/market/processed/*`,
    ]);
  });

  it('ties the lake key to S3 in the region', () => {
    const kms = statement(sinkPolicy(lake, scope), 'EncryptLakeObjects');
    expect(kms.Resource).to.equal(lake.keyArn);
    expect(kms.Condition).to.deep.equal({ StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } });
  });

  it('lets the crawler only read the lake and maintain its own database', () => {
    const doc = crawlerPolicy(lake, { database: 'tickstream_prod', logGroupPrefix: '/aws-glue/crawlers', logsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/logs' }, scope);
    const s3Actions = doc.Statement.flatMap((s) => list(s.Action)).filter((a) => a.startsWith('s3:'));
    expect(s3Actions.sort()).to.deep.equal(['s3:GetObject', 's3:ListBucket']);
    const glue = statement(doc, 'MaintainCatalog');
    expect(list(glue.Resource)).to.deep.equal([
      'arn:aws:glue:eu-west-1:123456789012:catalog',
      'arn:aws:glue:eu-west-1:123456789012:database/tickstream_prod',
      'arn:aws:glue:eu-west-1:123456789012:table/tickstream_prod/*',
    ]);
    expect(list(glue.Action).some((a) => a.startsWith('glue:Delete'))).to.equal(false);
  });

  it('denies plain HTTP and old TLS on the bucket and its objects', () => {
    const doc = tlsOnlyBucketPolicy(lake.bucketArn);
    const insecure = statement(doc, 'DenyInsecureTransport');
    expect(insecure.Effect).to.equal('Deny');
    expect(insecure.Principal).to.equal('*');
    expect(list(insecure.Resource)).to.deep.equal([lake.bucketArn, `${lake.bucketArn}/*`]);
    expect(insecure.Condition).to.deep.equal({ Bool: { 'aws:SecureTransport': 'false' } });
    expect(statement(doc, 'DenyOldTls').Condition).to.deep.equal({ NumericLessThan: { 's3:TlsVersion': '1.2' } });
  });

  it('lets CloudWatch Logs use a key only for the named log groups of this account', () => {
    const doc = keyPolicy(scope, [logsKeyService(scope, ['/tickstream/x/'])]);
    const logs = statement(doc, 'CloudWatchLogsEncryptsLogGroups');
    expect(logs.Principal).to.deep.equal({ Service: 'logs.eu-west-1.amazonaws.com' });
    expect(logs.Condition).to.deep.equal({
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': ['arn:aws:logs:eu-west-1:123456789012:log-group:/tickstream/x/*'] },
    });
  });

  it('finds the "*" action and service wildcards on "*", but accepts root administering its key', () => {
    const broad: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Everything', Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b' },
        { Sid: 'AllS3', Effect: 'Allow', Action: ['s3:*'], Resource: '*' },
        { Sid: 'DenyIsFine', Effect: 'Deny', Action: '*', Resource: '*' },
      ],
    };
    expect(overlyBroadStatements(broad)).to.deep.equal(['Everything: Action "*"', 'AllS3: a service wildcard action on Resource "*"']);
    expect(overlyBroadStatements(keyPolicy(scope, []))).to.deep.equal([]);
    const rootElsewhere = { Statement: [{ Sid: 'X', Effect: 'Allow', Action: 'kms:*', Resource: '*', Principal: { AWS: '*' } }] };
    expect(overlyBroadStatements(rootElsewhere)).to.have.length(1);
    for (const doc of [sinkPolicy(lake, scope), tlsOnlyBucketPolicy(lake.bucketArn)]) expect(overlyBroadStatements(doc)).to.deep.equal([]);
  });

  it('converts to the aws_iam_policy_document shape and back without loss', () => {
    const docs = [
      sinkPolicy(lake, scope),
      tlsOnlyBucketPolicy(lake.bucketArn),
      keyPolicy(scope, [logsKeyService(scope, ['/a/', '/b/'])]),
      crawlerPolicy(lake, { database: 'd', logGroupPrefix: '/aws-glue/crawlers', logsKeyArn: 'k' }, scope),
    ];
    // IAM reads ["x"] and "x" alike; compare with one-element lists collapsed.
    const collapse = (v: unknown): unknown =>
      Array.isArray(v) ? (v.length === 1 ? collapse(v[0]) : v.map(collapse)) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, collapse(x)])) : v;
    for (const doc of docs) expect(collapse(fromDocumentStatements(toDocumentStatements(doc)).Statement)).to.deep.equal(collapse(doc.Statement));
    const tls = toDocumentStatements(tlsOnlyBucketPolicy(lake.bucketArn))[0]!;
    expect(tls.principals).to.deep.equal([{ type: '*', identifiers: ['*'] }]);
    expect(tls.condition).to.deep.equal([{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }]);
    const trust = toDocumentStatements(serviceTrust('vpc-flow-logs.amazonaws.com', scope))[0]!;
    expect(trust).to.deep.equal({
      sid: 'ServiceAssumeRole',
      effect: 'Allow',
      actions: ['sts:AssumeRole'],
      principals: [{ type: 'Service', identifiers: ['vpc-flow-logs.amazonaws.com'] }],
      condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: ['123456789012'] }],
    });
    // A service that does not send aws:SourceAccount (Glue) gets no condition it would fail.
    expect(toDocumentStatements(serviceTrust('glue.amazonaws.com', scope, { sourceAccount: false }))[0]).to.not.have.property('condition');
    expect(toDocumentStatements(ec2Trust())[0]).to.not.have.property('resources');
  });

  it('lets the S3 gateway endpoint carry requests of this account to the named buckets only', () => {
    const doc = s3EndpointPolicy([lake.bucketArn], scope);
    expect(doc.Statement).to.have.length(1);
    const s = doc.Statement[0]!;
    expect(s).to.deep.include({ Effect: 'Allow', Principal: '*', Condition: { StringEquals: { 'aws:PrincipalAccount': '123456789012' } } });
    expect(list(s.Resource)).to.deep.equal([lake.bucketArn, `${lake.bucketArn}/*`]);
    // What the sink does (sinkPolicy) fits through it; nothing broader does.
    const sinkActions = sinkPolicy({ ...lake, statePrefix: '_sink/' }, scope).Statement.flatMap((x) => list(x.Action)).filter((a) => a.startsWith('s3:'));
    expect(list(s.Action)).to.include.members(sinkActions);
    expect(list(s.Action).some((a) => a.includes('*'))).to.equal(false);
    expect(overlyBroadStatements(doc)).to.deep.equal([]);
  });
});
