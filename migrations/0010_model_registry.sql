CREATE TABLE "ab_tests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"task" text NOT NULL,
	"candidate_model_id" uuid NOT NULL,
	"production_model_id" uuid NOT NULL,
	"share" double precision NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"actor" text NOT NULL,
	"ended_by" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "model_switches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"task" text NOT NULL,
	"from_model_id" uuid,
	"to_model_id" uuid,
	"kind" text NOT NULL,
	"actor" text NOT NULL,
	"reason" text,
	"forced" boolean DEFAULT false NOT NULL,
	"gate" jsonb,
	"ab_test_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "models" ADD COLUMN "promoted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "models" ADD COLUMN "archived_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ab_tests" ADD CONSTRAINT "ab_tests_candidate_model_id_models_id_fk" FOREIGN KEY ("candidate_model_id") REFERENCES "public"."models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ab_tests" ADD CONSTRAINT "ab_tests_production_model_id_models_id_fk" FOREIGN KEY ("production_model_id") REFERENCES "public"."models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_switches" ADD CONSTRAINT "model_switches_from_model_id_models_id_fk" FOREIGN KEY ("from_model_id") REFERENCES "public"."models"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_switches" ADD CONSTRAINT "model_switches_to_model_id_models_id_fk" FOREIGN KEY ("to_model_id") REFERENCES "public"."models"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ab_tests_one_running_idx" ON "ab_tests" USING btree ("task") WHERE status = 'running';--> statement-breakpoint
CREATE INDEX "ab_tests_started_idx" ON "ab_tests" USING btree ("started_at","id");--> statement-breakpoint
CREATE INDEX "model_switches_task_idx" ON "model_switches" USING btree ("task","id");--> statement-breakpoint
CREATE UNIQUE INDEX "models_one_production_idx" ON "models" USING btree ("task") WHERE status = 'production';