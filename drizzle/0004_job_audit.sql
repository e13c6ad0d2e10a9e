CREATE TABLE "job_audit" (
	"id" uuid PRIMARY KEY NOT NULL,
	"job_id" text NOT NULL,
	"action" text NOT NULL,
	"actor" text NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"before" jsonb,
	"after" jsonb,
	CONSTRAINT "job_audit_action_check" CHECK ("job_audit"."action" in ('added', 'updated', 'paused', 'resumed', 'rescheduled', 'removed', 'backfilled', 'quarantined'))
);
--> statement-breakpoint
CREATE INDEX "job_audit_job_idx" ON "job_audit" USING btree ("job_id","at","id");--> statement-breakpoint
CREATE INDEX "job_audit_at_idx" ON "job_audit" USING btree ("at","id");