CREATE TABLE "slack_grants" (
	"subject" text NOT NULL,
	"role" text NOT NULL,
	"granted_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "slack_grants_subject_role_pk" PRIMARY KEY("subject","role")
);
--> statement-breakpoint
ALTER TABLE "retraining_runs" ADD COLUMN "dataset_id" uuid;--> statement-breakpoint
ALTER TABLE "retraining_runs" ADD COLUMN "training" jsonb;--> statement-breakpoint
ALTER TABLE "retraining_runs" ADD COLUMN "harvest_run_ids" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "retraining_runs" ADD COLUMN "requested_by" text;--> statement-breakpoint
ALTER TABLE "retraining_runs" ADD CONSTRAINT "retraining_runs_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE set null ON UPDATE no action;