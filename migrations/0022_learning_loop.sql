ALTER TABLE "dataset_lineage" ADD COLUMN "draft_id" uuid;--> statement-breakpoint
ALTER TABLE "fine_tuning_jobs" ADD COLUMN "parent_job_id" uuid;--> statement-breakpoint
ALTER TABLE "fine_tuning_jobs" ADD COLUMN "trial" integer;--> statement-breakpoint
ALTER TABLE "fine_tuning_jobs" ADD CONSTRAINT "fine_tuning_jobs_parent_job_id_fine_tuning_jobs_id_fk" FOREIGN KEY ("parent_job_id") REFERENCES "public"."fine_tuning_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "fine_tuning_jobs_parent_idx" ON "fine_tuning_jobs" USING btree ("parent_job_id");