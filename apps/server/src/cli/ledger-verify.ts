import { openDatabase } from '../db/database.ts';
import { loadConfig } from '../config.ts';
import { verifyLedger } from '../modules/wallet/verify.ts';

/** `npm run ledger:verify`: checks the wallet invariants of the configured database. */
const config = loadConfig();
const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
try {
  const violations = await verifyLedger(database.db);
  if (violations.length === 0) {
    console.log('ledger ok: balances match entries, every transaction and currency sums to zero');
  } else {
    for (const v of violations) console.error(`VIOLATION ${v.rule}: ${v.detail}`);
    console.error(`${violations.length} ledger violation(s)`);
    process.exitCode = 1;
  }
} finally {
  await database.close();
}
