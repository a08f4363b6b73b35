CREATE TABLE "drafts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"connection_id" uuid NOT NULL,
	"source" text NOT NULL,
	"source_id" text NOT NULL,
	"task" text NOT NULL,
	"model_id" uuid,
	"arm" text,
	"ab_test_id" uuid,
	"status" text NOT NULL,
	"reason" text,
	"text" text,
	"note_id" text,
	"confidence" real,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"posted_at" timestamp with time zone,
	"final_reply" text,
	"similarity" real,
	"accepted" boolean,
	"feedback_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "drafts" ADD CONSTRAINT "drafts_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drafts" ADD CONSTRAINT "drafts_model_id_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "drafts_ticket_task_idx" ON "drafts" USING btree ("connection_id","source_id","task");--> statement-breakpoint
CREATE INDEX "drafts_model_idx" ON "drafts" USING btree ("model_id","task");--> statement-breakpoint
CREATE INDEX "drafts_pending_feedback_idx" ON "drafts" USING btree ("connection_id","status","feedback_at");