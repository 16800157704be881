import {
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  TooManyRequestsException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  cognitoPrincipalNames,
  NAME_TTL_MS,
  noPrincipalNames,
  principalNamesFromEnv,
  withNames,
} from '../../../functions/shared/principalNames.ts';
import { cognitoPrincipal, type AuditEvent } from '../../../types/audit.ts';

const POOL = 'eu-west-1_AbCdEfGhI';
const ADA = '1b6f0c3e-2d4a-4f5b-9c8d-7e6f5a4b3c2d';
const BEN = '2c7a1d4f-3e5b-4a6c-8d9e-0f1a2b3c4d5e';
const GONE = '3d8b2e5a-4f6c-4b7d-9e0f-1a2b3c4d5e6f';
const IAM_USER = 'arn:aws:iam::123456789012:user/alice';

const cognito = mockClient(CognitoIdentityProviderClient);
const client = new CognitoIdentityProviderClient({ region: 'eu-west-1' });

/** AdminGetUser's answer for a user of an e-mail-username pool: the username is the sub. */
const user = (sub: string, email: string) => ({
  Username: sub,
  UserAttributes: [
    { Name: 'email', Value: email },
    { Name: 'email_verified', Value: 'true' },
    { Name: 'sub', Value: sub },
  ],
  Enabled: true,
  UserStatus: 'CONFIRMED' as const,
});

const lookups = () => cognito.commandCalls(AdminGetUserCommand).map((call) => call.args[0].input);

beforeEach(() => {
  cognito.reset();
  cognito.on(AdminGetUserCommand, { UserPoolId: POOL, Username: ADA }).resolves(user(ADA, 'ada@example.com'));
  cognito.on(AdminGetUserCommand, { UserPoolId: POOL, Username: BEN }).resolves(user(BEN, 'ben@example.com'));
  cognito
    .on(AdminGetUserCommand, { UserPoolId: POOL, Username: GONE })
    .rejects(new UserNotFoundException({ message: 'User does not exist.', $metadata: {} }));
});
afterAll(() => cognito.restore());

describe('naming the principals of an audit page', () => {
  it("names each distinct console user once, by the pool's e-mail for their sub, and nobody else", async () => {
    const names = cognitoPrincipalNames(client, POOL);
    const known = await names([
      cognitoPrincipal(ADA),
      IAM_USER,
      cognitoPrincipal(BEN),
      cognitoPrincipal(ADA),
      'keepsake:retention',
    ]);

    expect(Object.fromEntries(known)).toEqual({
      [cognitoPrincipal(ADA)]: 'ada@example.com',
      [cognitoPrincipal(BEN)]: 'ben@example.com',
    });
    expect(lookups()).toEqual([
      { UserPoolId: POOL, Username: ADA },
      { UserPoolId: POOL, Username: BEN },
    ]);
  });

  it('looks the distinct users up in parallel, not one after another', async () => {
    cognito.reset();
    let inFlight = 0;
    let most = 0;
    cognito.on(AdminGetUserCommand).callsFake(async (input: { Username: string }) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight--;
      return user(input.Username, `${input.Username.slice(0, 4)}@example.com`);
    });
    const subs = [ADA, BEN, GONE];

    const known = await cognitoPrincipalNames(client, POOL)(subs.map(cognitoPrincipal));

    expect(known.size).toBe(3);
    expect(most).toBe(3);
  });

  it('answers from memory for five minutes, then asks again', async () => {
    let clock = Date.parse('2026-03-01T12:00:00Z');
    const names = cognitoPrincipalNames(client, POOL, () => clock);
    await names([cognitoPrincipal(ADA)]);
    clock += NAME_TTL_MS - 1;
    cognito
      .on(AdminGetUserCommand, { UserPoolId: POOL, Username: ADA })
      .resolves(user(ADA, 'ada.lovelace@example.com'));

    expect((await names([cognitoPrincipal(ADA)])).get(cognitoPrincipal(ADA))).toBe('ada@example.com');
    expect(lookups()).toHaveLength(1);

    clock += 2;
    expect((await names([cognitoPrincipal(ADA)])).get(cognitoPrincipal(ADA))).toBe('ada.lovelace@example.com');
    expect(lookups()).toHaveLength(2);
  });

  it('leaves a deleted user unnamed without failing the others, and does not ask again while that is remembered', async () => {
    const names = cognitoPrincipalNames(client, POOL);
    const known = await names([cognitoPrincipal(GONE), cognitoPrincipal(ADA)]);
    expect(Object.fromEntries(known)).toEqual({ [cognitoPrincipal(ADA)]: 'ada@example.com' });

    await names([cognitoPrincipal(GONE)]);
    expect(lookups().filter((input) => input.Username === GONE)).toHaveLength(1);
  });

  it('leaves a throttled lookup unnamed, and asks again on the next call', async () => {
    cognito
      .on(AdminGetUserCommand, { UserPoolId: POOL, Username: BEN })
      .rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }))
      .resolves(user(BEN, 'ben@example.com'));
    const names = cognitoPrincipalNames(client, POOL);

    expect(Object.fromEntries(await names([cognitoPrincipal(BEN), cognitoPrincipal(ADA)]))).toEqual({
      [cognitoPrincipal(ADA)]: 'ada@example.com',
    });
    expect((await names([cognitoPrincipal(BEN)])).get(cognitoPrincipal(BEN))).toBe('ben@example.com');
    expect(lookups().filter((input) => input.Username === BEN)).toHaveLength(2);
  });

  it('names nobody, and calls nothing, without a user pool (local mode, tests)', async () => {
    const names = principalNamesFromEnv(client, {});
    expect(names).toBe(noPrincipalNames);
    expect((await names([cognitoPrincipal(ADA)])).size).toBe(0);
    expect(lookups()).toEqual([]);
    expect(await principalNamesFromEnv(client, { USER_POOL_ID: POOL })([cognitoPrincipal(ADA)])).toEqual(
      new Map([[cognitoPrincipal(ADA), 'ada@example.com']]),
    );
  });

  it('puts the name on the items it could name, under the given key, and leaves the others as they were', async () => {
    const event = (id: string, principal: string): AuditEvent => ({
      id,
      at: '2026-03-01T12:00:00.000Z',
      principal,
      action: 'backup.delete',
      targetType: 'backup',
      targetId: 'bk-1',
    });
    const page = {
      items: [event('e1', cognitoPrincipal(ADA)), event('e2', IAM_USER), event('e3', cognitoPrincipal(GONE))],
    };

    const named = await withNames(page.items, (e) => e.principal, cognitoPrincipalNames(client, POOL), 'principalName');

    expect(named).toEqual([{ ...page.items[0], principalName: 'ada@example.com' }, page.items[1], page.items[2]]);
    expect(named[1]).not.toHaveProperty('principalName');
  });
});
