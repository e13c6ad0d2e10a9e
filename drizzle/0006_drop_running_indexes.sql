DROP INDEX "job_executions_running_idx";--> statement-breakpoint
DROP INDEX "job_executions_owner_idx";