CREATE TABLE "inference_batch_lines" (
	"batch_id" text NOT NULL,
	"line" integer NOT NULL,
	"custom_id" text NOT NULL,
	"result" jsonb NOT NULL,
	"ok" boolean NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inference_batches" (
	"id" text PRIMARY KEY NOT NULL,
	"endpoint" text NOT NULL,
	"input_file_id" text NOT NULL,
	"completion_window" text NOT NULL,
	"status" text DEFAULT 'validating' NOT NULL,
	"output_file_id" text,
	"error_file_id" text,
	"total" integer DEFAULT 0 NOT NULL,
	"completed" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"errors" jsonb,
	"metadata" jsonb,
	"token_id" uuid,
	"api_token_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"in_progress_at" timestamp with time zone,
	"finalizing_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"failed_at" timestamp with time zone,
	"cancelling_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inference_files" (
	"id" text PRIMARY KEY NOT NULL,
	"purpose" text NOT NULL,
	"filename" text NOT NULL,
	"bytes" integer NOT NULL,
	"path" text NOT NULL,
	"token_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inference_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"models" text[] DEFAULT '{}'::text[] NOT NULL,
	"tasks" text[] DEFAULT '{}'::text[] NOT NULL,
	"requests_per_minute" integer,
	"tokens_per_minute" integer,
	"monthly_budget_usd" double precision,
	"budget_action" text DEFAULT 'warn' NOT NULL,
	"budget_warned_month" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "inference_tokens_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
CREATE TABLE "inference_usage" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"token_id" uuid,
	"api_token_id" uuid,
	"model_id" uuid,
	"requested" text NOT NULL,
	"endpoint" text NOT NULL,
	"status" integer NOT NULL,
	"prompt_tokens" integer DEFAULT 0 NOT NULL,
	"completion_tokens" integer DEFAULT 0 NOT NULL,
	"latency_ms" double precision NOT NULL,
	"cost_usd" double precision DEFAULT 0 NOT NULL,
	"batch_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_aliases" (
	"name" text PRIMARY KEY NOT NULL,
	"model_id" uuid NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "inference_batch_lines" ADD CONSTRAINT "inference_batch_lines_batch_id_inference_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."inference_batches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_aliases" ADD CONSTRAINT "model_aliases_model_id_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "inference_batch_lines_pk" ON "inference_batch_lines" USING btree ("batch_id","line");--> statement-breakpoint
CREATE INDEX "inference_batches_created_idx" ON "inference_batches" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "inference_tokens_name_idx" ON "inference_tokens" USING btree ("name");--> statement-breakpoint
CREATE INDEX "inference_usage_created_idx" ON "inference_usage" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "inference_usage_token_idx" ON "inference_usage" USING btree ("token_id","created_at");--> statement-breakpoint
CREATE INDEX "inference_usage_model_idx" ON "inference_usage" USING btree ("model_id","created_at");