ALTER TABLE "job_executions" ADD COLUMN "overlap" text;--> statement-breakpoint
-- NOT VALID: the rows already stored are all NULL (they pass), so the check need not scan the history under its lock.
ALTER TABLE "job_executions" ADD CONSTRAINT "job_executions_overlap_check" CHECK ("job_executions"."overlap" in ('skip', 'buffer_one', 'buffer_all', 'cancel_other')) NOT VALID;
