CREATE TABLE "review_pairs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"evaluation_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"prompt" jsonb NOT NULL,
	"answer_a" text NOT NULL,
	"answer_b" text NOT NULL,
	"candidate_side" text NOT NULL,
	"verdict" text,
	"reviewer" text,
	"claimed_by" text,
	"claimed_at" timestamp with time zone,
	"reviewed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "review_pairs" ADD CONSTRAINT "review_pairs_evaluation_id_model_evaluations_id_fk" FOREIGN KEY ("evaluation_id") REFERENCES "public"."model_evaluations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "review_pairs_position_idx" ON "review_pairs" USING btree ("evaluation_id","position");--> statement-breakpoint
CREATE INDEX "review_pairs_open_idx" ON "review_pairs" USING btree ("evaluation_id","reviewed_at");