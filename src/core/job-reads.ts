/**
 * The API's reads: jobs, their history, the replicas, the tasks and the audit trail, straight from
 * the ports. JobService adds the commands on top.
 */
import { NotFoundError } from './errors.ts';
import type { Execution } from './execution.ts';
import type { Job } from './job.ts';
import type {
  AuditEntry,
  AuditLog,
  AuditQuery,
  ExecutionFilter,
  ExecutionLog,
  ExecutionQuery,
  ExecutionStats,
  JobQuery,
  JobStore,
  Page,
  ReplicaStatus,
} from './ports.ts';
import type { TaskDefinition, TaskResolver } from './task.ts';

export interface ReadPorts {
  store: JobStore;
  log: ExecutionLog;
  tasks: TaskResolver;
  /** Where every change to a job is recorded, with who made it; none: changes are not audited. */
  audit?: AuditLog;
}

export class JobReads {
  protected readonly store: JobStore;
  protected readonly log: ExecutionLog;
  protected readonly tasks: TaskResolver;
  protected readonly audit: AuditLog | null;

  constructor(ports: ReadPorts) {
    this.store = ports.store;
    this.log = ports.log;
    this.tasks = ports.tasks;
    this.audit = ports.audit ?? null;
  }

  findJob(id: string): Promise<Job | null> {
    return this.store.get(id);
  }

  async getJob(id: string): Promise<Job> {
    const job = await this.store.get(id);
    if (!job) throw new NotFoundError('job', id);
    return job;
  }

  listJobs(query: JobQuery): Promise<Page<Job>> {
    return this.store.list(query);
  }

  countJobs(): Promise<number> {
    return this.store.count();
  }

  /** The store's change count (JobStore.changeCount); null when it keeps none. */
  jobsChangeCount(): Promise<number> | null {
    return this.store.changeCount?.() ?? null;
  }

  findExecution(id: string): Promise<Execution | null> {
    return this.log.get(id);
  }

  listExecutions(query: ExecutionQuery): Promise<Page<Execution>> {
    return this.log.list(query);
  }

  latestExecutions(jobIds: string[]): Promise<Map<string, Execution>> {
    return this.log.latestByJob(jobIds);
  }

  countExecutions(filter: ExecutionFilter): Promise<number> {
    return this.log.count(filter);
  }

  executionStats(jobId: string, since: number): Promise<ExecutionStats> {
    return this.log.stats(jobId, since);
  }

  /** finishedAt of the job's newest successful run (the dead-man's switch reads it). */
  async lastSuccessAt(jobId: string): Promise<number | null> {
    const page = await this.log.list({ jobId, status: ['success'], first: 1 });
    return page.items[0]?.finishedAt ?? null;
  }

  /** The live replicas, oldest first (their heartbeats in the job store). */
  replicas(): Promise<ReplicaStatus[]> {
    return this.store.replicas();
  }

  listTasks(): TaskDefinition[] {
    return this.tasks.list();
  }

  /** The audit trail, newest first: of one job, or of all. */
  listChanges(query: AuditQuery): Promise<Page<AuditEntry>> {
    if (!this.audit) return Promise.resolve({ items: [], hasNextPage: false, endCursor: null });
    return this.audit.list(query);
  }
}
