import {
  TestConnectionSettingsSchema,
  type ConnectionTestResult,
  type TestConnectionSettings,
} from '../../types/apiDataSources.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { secretStoreFromEnv } from '../shared/secretStore.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { wireProtocolTester } from './connectionTester.ts';
import * as service from './dataSourceService.ts';

// The tester's defaults (8 s to connect, 10 s in all) keep the answer well inside the function's 20 s timeout.
const deps = { table: tableFromEnv(), secrets: secretStoreFromEnv(), tester: wireProtocolTester() };

/** POST /v1/data-sources/test: tries settings before they are saved; ok + server version, or the problem and why. */
async function testConnectionSettings({
  body,
}: HttpInput<unknown, unknown, TestConnectionSettings>): Promise<ConnectionTestResult> {
  return service.testConnectionSettings(deps, body);
}

export const handler = httpHandler({ body: TestConnectionSettingsSchema }, testConnectionSettings);
