CREATE TABLE "gdpr_erasures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"subject_by" text NOT NULL,
	"subject_hash" text NOT NULL,
	"work" text,
	"steps_done" text[] DEFAULT '{}' NOT NULL,
	"report" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text,
	"requested_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "gdpr_suppressions" (
	"hash" text PRIMARY KEY NOT NULL,
	"erasure_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "gdpr_erasures_status_idx" ON "gdpr_erasures" USING btree ("status","heartbeat_at");