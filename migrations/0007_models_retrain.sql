ALTER TABLE "models" ADD COLUMN "retrain_required_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "models" ADD COLUMN "retrain_reason" text;