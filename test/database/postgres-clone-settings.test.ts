/**
 * The PostgreSQL clone's login settings, as the driver reads them from pg_db_role_setting: exactly
 * `role=<user>` for every database is ours; none yet is a clone the rotation made before it set this;
 * anything else is refused (rds-postgres-clone.test.ts shows both on a real server).
 */
import {
  actsAsBase,
  settingProblems,
  type RoleSetting,
} from '../../lambda/rotation/strategies/database/postgres-driver';

const OURS: RoleSetting = { database: null, setting: 'role=app' };

describe('actsAsBase', () => {
  test('true with SET ROLE "<user>" for every database', () => {
    expect(actsAsBase([OURS], 'app')).toBe(true);
    expect(actsAsBase([{ database: null, setting: 'search_path=public' }, OURS], 'app')).toBe(true);
  });

  test.each([
    ['no settings', []],
    ['another role', [{ database: null, setting: 'role=other' }]],
    ['a role whose name starts with the user', [{ database: null, setting: 'role=app_clone' }]],
    ['the user in one database only', [{ database: 'orders', setting: 'role=app' }]],
  ] as const)('false with %s', (_name, settings) => {
    expect(actsAsBase(settings, 'app')).toBe(false);
  });
});

describe('settingProblems', () => {
  test('none for exactly SET ROLE "<user>", and none for no settings yet', () => {
    expect(settingProblems([OURS], 'app')).toEqual([]);
    expect(settingProblems([], 'app')).toEqual([]);
  });

  test('every other setting, in one phrase, named but without its value (a role is named)', () => {
    expect(
      settingProblems(
        [
          OURS,
          { database: null, setting: 'session_replication_role=replica' },
          { database: null, setting: 'role=admin' },
          { database: 'orders', setting: 'role=app' },
          { database: 'orders', setting: 'work_mem=64MB' },
          { database: null, setting: 'odd' },
        ],
        'app',
      ),
    ).toEqual([
      'has login settings other than SET ROLE "app" (session_replication_role, role "admin", role "app" in database "orders", work_mem in database "orders", odd)',
    ]);
  });
});
