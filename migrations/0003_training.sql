CREATE TABLE "fine_tuning_checkpoints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"job_id" uuid NOT NULL,
	"step" integer NOT NULL,
	"path" text NOT NULL,
	"metrics" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"is_best" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fine_tuning_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"level" text NOT NULL,
	"type" text NOT NULL,
	"message" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"external_id" text
);
--> statement-breakpoint
CREATE TABLE "fine_tuning_jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"backend" text NOT NULL,
	"status" text DEFAULT 'validating_files' NOT NULL,
	"model" text NOT NULL,
	"method" text NOT NULL,
	"hyperparameters" jsonb NOT NULL,
	"suffix" text,
	"seed" integer NOT NULL,
	"metadata" jsonb,
	"task" text NOT NULL,
	"dataset_version_id" uuid,
	"training_file_id" uuid,
	"validation_file_id" uuid,
	"error" jsonb,
	"fine_tuned_model" text,
	"result" jsonb,
	"cost" jsonb,
	"trained_tokens" bigint,
	"progress" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"provider_job_id" text,
	"provider_files" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"cancel_requested_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "fine_tuning_metrics" (
	"job_id" uuid NOT NULL,
	"step" integer NOT NULL,
	"epoch" double precision,
	"train_loss" double precision,
	"eval_loss" double precision,
	"learning_rate" double precision,
	"grad_norm" double precision,
	"tokens_per_second" double precision,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fine_tuning_metrics_job_id_step_pk" PRIMARY KEY("job_id","step")
);
--> statement-breakpoint
CREATE TABLE "models" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"task" text NOT NULL,
	"backend" text NOT NULL,
	"base_model" text NOT NULL,
	"adapter_path" text,
	"model_path" text,
	"provider_model" text,
	"fine_tuning_job_id" uuid,
	"dataset_version_id" uuid,
	"training_file_id" uuid,
	"validation_file_id" uuid,
	"metrics" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'candidate' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "training_files" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"filename" text NOT NULL,
	"purpose" text NOT NULL,
	"format" text NOT NULL,
	"bytes" bigint NOT NULL,
	"examples" integer NOT NULL,
	"sha256" text NOT NULL,
	"storage_key" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "fine_tuning_checkpoints" ADD CONSTRAINT "fine_tuning_checkpoints_job_id_fine_tuning_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."fine_tuning_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fine_tuning_events" ADD CONSTRAINT "fine_tuning_events_job_id_fine_tuning_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."fine_tuning_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fine_tuning_jobs" ADD CONSTRAINT "fine_tuning_jobs_dataset_version_id_dataset_versions_id_fk" FOREIGN KEY ("dataset_version_id") REFERENCES "public"."dataset_versions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fine_tuning_jobs" ADD CONSTRAINT "fine_tuning_jobs_training_file_id_training_files_id_fk" FOREIGN KEY ("training_file_id") REFERENCES "public"."training_files"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fine_tuning_jobs" ADD CONSTRAINT "fine_tuning_jobs_validation_file_id_training_files_id_fk" FOREIGN KEY ("validation_file_id") REFERENCES "public"."training_files"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fine_tuning_metrics" ADD CONSTRAINT "fine_tuning_metrics_job_id_fine_tuning_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."fine_tuning_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "models" ADD CONSTRAINT "models_fine_tuning_job_id_fine_tuning_jobs_id_fk" FOREIGN KEY ("fine_tuning_job_id") REFERENCES "public"."fine_tuning_jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "models" ADD CONSTRAINT "models_dataset_version_id_dataset_versions_id_fk" FOREIGN KEY ("dataset_version_id") REFERENCES "public"."dataset_versions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "models" ADD CONSTRAINT "models_training_file_id_training_files_id_fk" FOREIGN KEY ("training_file_id") REFERENCES "public"."training_files"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "models" ADD CONSTRAINT "models_validation_file_id_training_files_id_fk" FOREIGN KEY ("validation_file_id") REFERENCES "public"."training_files"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "fine_tuning_checkpoints_step_idx" ON "fine_tuning_checkpoints" USING btree ("job_id","step");--> statement-breakpoint
CREATE INDEX "fine_tuning_events_job_idx" ON "fine_tuning_events" USING btree ("job_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "fine_tuning_events_external_idx" ON "fine_tuning_events" USING btree ("job_id","external_id");--> statement-breakpoint
CREATE INDEX "fine_tuning_jobs_created_idx" ON "fine_tuning_jobs" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "fine_tuning_jobs_status_idx" ON "fine_tuning_jobs" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "models_job_idx" ON "models" USING btree ("fine_tuning_job_id");--> statement-breakpoint
CREATE INDEX "models_task_status_idx" ON "models" USING btree ("task","status");