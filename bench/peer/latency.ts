/**
 * The peer benchmark's phases on real AWS, modelled from what each tool did on the emulator: the
 * calls the emulator counted per operation, replayed on the virtual clock of bench/aws-model.ts with
 * the concurrency each tool's code uses. Reads come first, then account creations, then the
 * other writes, as both tools read the organization before they change it.
 *
 * - orgbridge: reads 8 at a time (observeOrganization's ListTagsForResource concurrency), up to 5
 *   creations in flight polled from 2 s doubling to 30 s, other writes one at a time
 *   (Organizations answers concurrent writes with ConcurrentModificationException).
 * - org-formation 1.0.17: reads all at once (Promise.all over the accounts), its organization
 *   tasks one after another, each creation polled every second.
 */
import { AWS_FIGURES, type AwsFigures, AwsModel, pool, type Service } from '../aws-model.js';

export type PeerTool = 'orgbridge' | 'org-formation';

const SERVICE_OF: Readonly<Record<string, Service>> = {
  AssumeRole: 'sts',
  GetCallerIdentity: 'sts',
  ListAccountAliases: 'iam',
  GetAccountPasswordPolicy: 'iam',
  DescribeSeverityLevels: 'other',
  DescribeRegions: 'other',
  PutEvents: 'eventbridge',
};

/** The service an operation counted by the emulator belongs to (REST calls are S3's). */
export function serviceOf(operation: string): Service {
  if (/^(GET|PUT|POST|DELETE|HEAD) /.test(operation)) return 's3';
  return SERVICE_OF[operation] ?? 'organizations';
}

export function isWrite(operation: string): boolean {
  return /^(Create|Move|Tag|Untag|Attach|Detach|Update|Delete|Enable|Disable|Put|Close|Remove|PUT |POST |DELETE )/.test(
    operation,
  );
}

const CONCURRENCY: Readonly<Record<PeerTool, { reads: number; creations: number; firstPoll: number }>> = {
  orgbridge: { reads: 8, creations: 5, firstPoll: 2_000 },
  'org-formation': { reads: Number.POSITIVE_INFINITY, creations: 1, firstPoll: 1_000 },
};

/** Modelled real-AWS milliseconds of one phase of `tool`, from its calls per operation. */
export async function modelPhaseMs(
  tool: PeerTool,
  byOperation: Readonly<Record<string, number>>,
  figures: AwsFigures = AWS_FIGURES,
): Promise<number> {
  const model = new AwsModel(figures);
  const shape = CONCURRENCY[tool];
  const reads: string[] = [];
  const writes: string[] = [];
  let creations = 0;
  for (const [operation, count] of Object.entries(byOperation)) {
    // Status polls are a consequence of the creation time, which the emulator does not have.
    if (operation === 'DescribeCreateAccountStatus') continue;
    if (operation === 'CreateAccount') creations += count;
    else for (let i = 0; i < count; i++) (isWrite(operation) ? writes : reads).push(operation);
  }
  const { ms } = await model.sim.run(async () => {
    await pool(reads, Math.min(shape.reads, Math.max(1, reads.length)), (op) =>
      model.call(serviceOf(op), op),
    );
    await pool(
      Array.from({ length: creations }, (_, i) => i),
      shape.creations,
      () =>
        model.creations.use(async () => {
          await model.call('organizations', 'CreateAccount');
          const done = model.sim.now + figures.accountCreationMs;
          let delay = shape.firstPoll;
          for (;;) {
            await model.sim.sleep(delay);
            await model.call('organizations', 'DescribeCreateAccountStatus');
            if (model.sim.now >= done) return;
            if (tool === 'orgbridge') delay = Math.min(delay * 2, 30_000);
          }
        }),
    );
    for (const op of writes) await model.call(serviceOf(op), op);
  });
  return ms;
}
