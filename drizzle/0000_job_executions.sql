CREATE TABLE "job_executions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"job_id" text NOT NULL,
	"job_name" text NOT NULL,
	"task" text NOT NULL,
	"status" text NOT NULL,
	"trigger_kind" text NOT NULL,
	"scheduled_for" timestamp (3) with time zone NOT NULL,
	"started_at" timestamp (3) with time zone,
	"finished_at" timestamp (3) with time zone,
	"duration_ms" integer,
	"attempt" integer NOT NULL,
	"instance" text NOT NULL,
	"error_message" text,
	"error_stack" text,
	"result" jsonb,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "job_executions_status_check" CHECK ("job_executions"."status" in ('running', 'success', 'failed', 'timed_out', 'missed', 'skipped', 'abandoned')),
	CONSTRAINT "job_executions_trigger_kind_check" CHECK ("job_executions"."trigger_kind" in ('scheduled', 'manual', 'retry')),
	CONSTRAINT "job_executions_attempt_check" CHECK ("job_executions"."attempt" >= 1)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "job_executions_fire_key" ON "job_executions" USING btree ("job_id","scheduled_for","attempt");--> statement-breakpoint
CREATE INDEX "job_executions_newest_idx" ON "job_executions" USING btree ("scheduled_for","attempt","id");--> statement-breakpoint
CREATE INDEX "job_executions_status_idx" ON "job_executions" USING btree ("status","scheduled_for","attempt","id");--> statement-breakpoint
CREATE INDEX "job_executions_retention_idx" ON "job_executions" USING btree ("finished_at") WHERE "job_executions"."finished_at" is not null;