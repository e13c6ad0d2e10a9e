ALTER TABLE "job_executions" DROP CONSTRAINT "job_executions_status_check";--> statement-breakpoint
ALTER TABLE "job_executions" ADD COLUMN "due_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "job_executions" ADD COLUMN "covers_until" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "job_executions" ADD COLUMN "covered_fires" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX "job_executions_pending_idx" ON "job_executions" USING btree ("due_at","id") WHERE "job_executions"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "job_executions_running_idx" ON "job_executions" USING btree (coalesce("due_at", "scheduled_for"),"id") WHERE "job_executions"."status" = 'running';--> statement-breakpoint
ALTER TABLE "job_executions" ADD CONSTRAINT "job_executions_covered_fires_check" CHECK ("job_executions"."covered_fires" >= 1);--> statement-breakpoint
ALTER TABLE "job_executions" ADD CONSTRAINT "job_executions_status_check" CHECK ("job_executions"."status" in ('pending', 'running', 'success', 'failed', 'timed_out', 'missed', 'skipped', 'abandoned'));