import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ACCOUNT,
  administrator,
  Decision,
  IamEvaluator,
  Principal,
  stacksOf,
} from '../support/iam-evaluator';
import { matrixAssembly } from './fixture';
import {
  ASSUME_READER_ROLE,
  Cell,
  COLUMNS,
  Expected,
  markdownTable,
  MEMBER_ACCOUNT,
  ORGANIZATION_ID,
  OTHER_ACCOUNT,
  PATHS,
  Request,
  ROWS,
} from './matrix-spec';

const evaluator = new IamEvaluator(stacksOf(matrixAssembly()), {
  organizations: { [MEMBER_ACCOUNT]: ORGANIZATION_ID },
});

async function ask(
  principal: Principal,
  request: Request,
  context: Record<string, string> = {},
): Promise<Decision> {
  // A service acting as itself makes no KMS call of ours to judge ("—" in the key columns).
  const service = 'service' in principal;
  switch (request.kind) {
    case 'read':
      return service
        ? evaluator.decide({
            principal,
            action: 'secretsmanager:GetSecretValue',
            resource: PATHS.secret,
            context: { 'secretsmanager:VersionStage': request.stage, ...context },
          })
        : evaluator.canRead(principal, PATHS.secret, request.stage, context);
    case 'write':
      return service
        ? evaluator.decide({
            principal,
            action: 'secretsmanager:PutSecretValue',
            resource: PATHS.secret,
            context,
          })
        : evaluator.canWrite(principal, PATHS.secret, context);
    case 'secret':
      return evaluator.decide({ principal, action: request.action, resource: PATHS.secret, context });
    case 'key':
      return evaluator.decide({
        principal,
        action: request.action,
        resource: PATHS.key,
        via: request.via,
        context,
      });
  }
}

/** `allow: <summary>` or `deny: <summary>`: the verdict, and on failure the statement that decided it. */
function outcome(decision: Decision): string {
  const verdict: Expected = decision.decision === 'Allowed' ? 'allow' : 'deny';
  return `${verdict}: ${decision.summary}`;
}

const cells = ROWS.flatMap((row) =>
  COLUMNS.flatMap((column, i) => {
    const cell: Cell = row.cells[i]!;
    if (cell.expect === 'n/a') return [];
    return column.requests.map((request) => ({
      name: `${row.title} | ${column.title}${column.requests.length > 1 ? ` (${requestName(request)})` : ''} → ${cell.expect}`,
      row,
      column,
      request,
      expected: cell.expect,
      deniedBy: cell.expect === 'deny' ? row.deniedBy?.[column.title] : undefined,
    }));
  }),
);

function requestName(request: Request): string {
  return 'action' in request ? request.action : request.kind;
}

describe('the access matrix of docs/access-model.md', () => {
  test.each(cells)('$name', async ({ row, request, expected, deniedBy }) => {
    const decision = await ask(row.principal, request);
    // The summary names the decisive statement, so a failing cell says which statement decided it.
    expect(outcome(decision)).toMatch(new RegExp(`^${expected}: `));
    if (deniedBy) {
      expect({ decision: decision.decision, statements: decision.statements }).toEqual({
        decision: 'ExplicitlyDenied',
        statements: expect.arrayContaining([deniedBy]),
      });
    }
  });

  const allowedOnSecret = cells.filter((c) => c.expected === 'allow' && c.column.onSecret);

  test.each(allowedOnSecret)('without TLS: $name becomes deny', async ({ row, request }) => {
    const decision = await ask(row.principal, request, { 'aws:SecureTransport': 'false' });
    expect({ decision: decision.decision, statements: decision.statements }).toEqual({
      decision: 'ExplicitlyDenied',
      statements: expect.arrayContaining(['DenyRequestsWithoutTls']),
    });
  });

  test.each(ASSUME_READER_ROLE)(
    'sts:AssumeRole on the reader role by $title → $expect',
    async ({ principal, expect: expected }) => {
      const decision = await evaluator.decide({
        principal,
        action: 'sts:AssumeRole',
        resource: PATHS.readerRole,
      });
      expect(outcome(decision)).toMatch(new RegExp(`^${expected}: `));
    },
  );

  const rotationInvokers: { title: string; principal: Principal; expect: Expected }[] = [
    {
      title: "Secrets Manager rotating a secret of the vault's account and prefix",
      principal: {
        service: 'secretsmanager.amazonaws.com',
        sourceAccount: ACCOUNT,
        sourceArn: evaluator.arnOf(PATHS.secret),
      },
      expect: 'allow',
    },
    {
      title: 'Secrets Manager rotating a secret outside the prefix',
      principal: {
        service: 'secretsmanager.amazonaws.com',
        sourceAccount: ACCOUNT,
        sourceArn: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:Vault/Other/Db-AbCdEf`,
      },
      expect: 'deny',
    },
    {
      title: 'Secrets Manager for another account',
      principal: {
        service: 'secretsmanager.amazonaws.com',
        sourceAccount: OTHER_ACCOUNT,
        sourceArn: `arn:aws:secretsmanager:eu-west-1:${OTHER_ACCOUNT}:secret:Vault/Vault/Db-AbCdEf`,
      },
      expect: 'deny',
    },
    {
      title: 'an administrator of another account',
      principal: administrator(`arn:aws:iam::${OTHER_ACCOUNT}:role/outsider`),
      expect: 'deny',
    },
  ];

  test.each(rotationInvokers)(
    'lambda:InvokeFunction on the rotation function by $title → $expect',
    async ({ principal, expect: expected }) => {
      const decision = await evaluator.decide({
        principal,
        action: 'lambda:InvokeFunction',
        resource: PATHS.rotationFunction,
      });
      expect(outcome(decision)).toMatch(new RegExp(`^${expected}: `));
    },
  );

  test('every allowed secret cell has its no-TLS twin, and every cell of the table is evaluated', () => {
    const evaluated = ROWS.flatMap((r) => r.cells).filter((c) => c.expect !== 'n/a').length;
    const distinctCells = new Set(cells.map((c) => `${c.row.title}|${c.column.title}`));
    expect(distinctCells.size).toBe(evaluated);
    expect(allowedOnSecret.length).toBeGreaterThan(0);
  });

  test.each([['docs/access-model.md'], ['README.md']])(
    '%s shows exactly the table these tests evaluate',
    (path) => {
      const doc = readFileSync(join(__dirname, '..', '..', path), 'utf8');
      const lines = doc.split('\n');
      const start = lines.findIndex((l) => l.startsWith('| principal |'));
      expect(start).toBeGreaterThan(-1);
      const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
      expect(lines.slice(start, end).join('\n')).toBe(markdownTable());
    },
  );
});
